from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import migrations
from django.db.models import F, Func

# The title's lexemes as the title part of Paper.search_vector has them (english, no weights), plus each
# lexeme the title holds more than once again, behind a space (models.REPEATED_MARK). A standard SQL body is
# bound when created, whatever the search_path of whoever calls it.
TITLE_TERMS = """
CREATE FUNCTION paper_title_terms(title text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (
    SELECT array_to_tsvector(
        coalesce(array_agg(lexeme), '{}') || coalesce(array_agg(' ' || lexeme) FILTER (WHERE cardinality(positions) > 1), '{}')
    )
    FROM unnest(to_tsvector('english'::regconfig, title))
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0004_search_layout"),
    ]

    operations = [
        migrations.RunSQL(TITLE_TERMS, reverse_sql="DROP FUNCTION paper_title_terms(text)"),
        migrations.AddIndex(
            model_name="paper",
            index=GinIndex(
                Func(F("title"), function="paper_title_terms", output_field=SearchVectorField()),
                name="paper_title_terms_gin",
            ),
        ),
        # Statistics on the new expression, or the planner guesses how many titles hold a query's words.
        migrations.RunSQL("ANALYZE papers_paper", reverse_sql=migrations.RunSQL.noop),
    ]
