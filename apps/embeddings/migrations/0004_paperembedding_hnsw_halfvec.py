"""The paper vectors' HNSW graph again, over their half-precision copies and denser (m=24,
ef_construction=128): recall@20 0.95 at 100 times the exact scan's speed at a million papers needs the
denser graph, and half precision halves the graph's memory at the same recall (docs/benchmarks.md).

The build reads every vector once: about 3.5 minutes at 100,000 papers on 2 loaded cores. With 512 MB
the graph of ~400,000 half-precision vectors fits in memory (a larger catalogue builds it slowly on
disk: raise maintenance_work_mem for that one run). Queries must order by the same expression
(models.HALF_PRECISION) to walk it; selectors.half_precision_distance builds it.
"""

import django.contrib.postgres.indexes
import django.db.models.functions.comparison
import pgvector.django.halfvec
import pgvector.django.indexes
from django.db import migrations

SET_MEMORY = "SET maintenance_work_mem = '512MB'"
RESET_MEMORY = "RESET maintenance_work_mem"


class Migration(migrations.Migration):
    dependencies = [
        ("embeddings", "0003_fill_paper_filter_copies"),
    ]

    operations = [
        migrations.RunSQL(SET_MEMORY, reverse_sql=RESET_MEMORY),
        migrations.RemoveIndex(model_name="paperembedding", name="paperembedding_hnsw_cosine"),
        migrations.AddIndex(
            model_name="paperembedding",
            index=pgvector.django.indexes.HnswIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.comparison.Cast(
                        "vector", pgvector.django.halfvec.HalfVectorField(dimensions=384)
                    ),
                    name="halfvec_cosine_ops",
                ),
                ef_construction=128,
                m=24,
                name="paperembedding_hnsw_cosine",
            ),
        ),
        migrations.RunSQL(RESET_MEMORY, reverse_sql=SET_MEMORY),
    ]
