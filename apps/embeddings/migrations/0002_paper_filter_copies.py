import django.contrib.postgres.fields
from django.db import migrations, models

# Each vector row carries its paper's filter columns (PaperEmbedding.announced, categories, withdrawn): the
# row's own trigger copies them whenever it is written, the paper's pushes them whenever they change.
TRIGGERS = """
CREATE FUNCTION paperembedding_copy_paper_filters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT announced, categories, withdrawn INTO NEW.announced, NEW.categories, NEW.withdrawn
    FROM papers_paper WHERE id = NEW.paper_id;
    RETURN NEW;
END $$;
CREATE TRIGGER paperembedding_paper_filters BEFORE INSERT OR UPDATE ON embeddings_paperembedding
    FOR EACH ROW EXECUTE FUNCTION paperembedding_copy_paper_filters();

CREATE FUNCTION paper_push_filters_to_embeddings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE embeddings_paperembedding
    SET announced = NEW.announced, categories = NEW.categories, withdrawn = NEW.withdrawn
    WHERE paper_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER paper_filters_to_embeddings AFTER UPDATE OF announced, categories, withdrawn ON papers_paper
    FOR EACH ROW WHEN (
        (OLD.announced, OLD.categories, OLD.withdrawn) IS DISTINCT FROM (NEW.announced, NEW.categories, NEW.withdrawn)
    ) EXECUTE FUNCTION paper_push_filters_to_embeddings();
"""
UNDO_TRIGGERS = """
DROP TRIGGER paper_filters_to_embeddings ON papers_paper;
DROP FUNCTION paper_push_filters_to_embeddings();
DROP TRIGGER paperembedding_paper_filters ON embeddings_paperembedding;
DROP FUNCTION paperembedding_copy_paper_filters();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("embeddings", "0001_initial"),
        ("papers", "0005_title_terms"),
    ]

    operations = [
        migrations.AddField(
            model_name="paperembedding",
            name="announced",
            field=models.DateField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="paperembedding",
            name="categories",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=32), default=list, editable=False, size=None
            ),
        ),
        migrations.AddField(
            model_name="paperembedding",
            name="withdrawn",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunSQL(TRIGGERS, reverse_sql=UNDO_TRIGGERS),
    ]
