from django.db import migrations, models

# Ranking a keyword query reads the search vector of every match. Stored out of line (TOAST, the
# default for a value this size: ~1.9 kB a paper) each read is an index probe into the TOAST table
# plus decompression; kept in the row it is a plain page read, about 4x faster on 100,000 papers
# (docs/benchmarks.md). The abstract goes out of line instead: only a page of results reads it.
# Rows written before this migration keep their layout until rewritten (VACUUM FULL papers_paper).
#
# Search by meaning with filters walks the HNSW graph and checks each candidate paper's filters: from
# the covering index that check reads no row (an index-only scan, ~4x cheaper per candidate).


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0003_ingestrun_partial_rejected"),
    ]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE papers_paper ALTER COLUMN search_vector SET STORAGE MAIN, "
            "ALTER COLUMN abstract SET STORAGE EXTERNAL",
            reverse_sql="ALTER TABLE papers_paper ALTER COLUMN search_vector SET STORAGE EXTENDED, "
            "ALTER COLUMN abstract SET STORAGE EXTENDED",
        ),
        migrations.AddIndex(
            model_name="paper",
            index=models.Index(
                fields=["id"], include=["announced", "withdrawn", "categories"], name="paper_filter_cover"
            ),
        ),
    ]
