from django.db import migrations


def fill_copies(apps, schema_editor):
    """The rows stored before 0002 get their copies, with the graph set aside: updating every row with it in
    place would insert each new row version into it (as slow as a build, and a bloated graph). It is built
    again as it was (if it was: a benchmark may leave it out), with memory for the graph of ~250,000 vectors
    (a larger catalogue builds it slowly). VACUUM FULL drops the old row versions, which doubled the table
    (157 -> 352 MB at 100,000 vectors) that the walk reads; it cannot run in a transaction, hence atomic =
    False. About 2 minutes at 100,000 vectors on 2 cores."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'paperembedding_hnsw_cosine'")
        graph = cursor.fetchone()
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("DROP INDEX IF EXISTS paperembedding_hnsw_cosine")
        cursor.execute("UPDATE embeddings_paperembedding SET paper_id = paper_id")  # its trigger fills the copies
        cursor.execute("VACUUM FULL embeddings_paperembedding")
        if graph:
            cursor.execute(graph[0])
        cursor.execute("RESET maintenance_work_mem")
        cursor.execute("ANALYZE embeddings_paperembedding")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("embeddings", "0002_paper_filter_copies"),
    ]

    operations = [
        migrations.RunPython(fill_copies, migrations.RunPython.noop),
    ]
