"""The retriever's vectors widen from 64 to 256 dimensions (recsys.app: a rank-256 EASE start).

Stored vectors keep their scores: each is padded with zeros, which changes no inner product, and a
model trained at 64 dimensions still serves (apps.recommendations.ranking.two_tower pads its
vectors the same way). PostgreSQL rebuilds the HNSW index with the column.
"""

import pgvector.django.vector
from django.db import migrations

OLD, NEW = 64, 256
TABLES = ("recommendations_itemvector", "recommendations_readervector")


def widen(table: str, old: int, new: int) -> str:
    if new > old:
        using = f"(vector::real[] || array_fill(0::real, ARRAY[{new - old}]))::vector({new})"
    else:  # back: the first `new` values (exact for vectors that were padded)
        using = f"((vector::real[])[1:{new}])::vector({new})"
    return f"ALTER TABLE {table} ALTER COLUMN vector TYPE vector({new}) USING {using}"


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0004_alter_interaction_source"),
    ]

    operations = [
        migrations.RunSQL(
            [widen(table, OLD, NEW) for table in TABLES],
            reverse_sql=[widen(table, NEW, OLD) for table in TABLES],
            state_operations=[
                migrations.AlterField(
                    model_name=model,
                    name="vector",
                    field=pgvector.django.vector.VectorField(dimensions=NEW),
                )
                for model in ("itemvector", "readervector")
            ],
        ),
    ]
