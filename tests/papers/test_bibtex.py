"""BibTeX that compiles: LaTeX specials escaped, the TeX already in arXiv metadata kept."""

import pytest

from apps.papers.bibtex import bibtex_entry
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def field(entry: str, name: str) -> str:
    return next(line for line in entry.splitlines() if line.strip().startswith(f"{name} = "))


def test_specials_in_titles_are_escaped():
    entry = bibtex_entry(PaperFactory(title="R&D of 50% #1 user_item models costs $5"))
    assert field(entry, "title") == r"  title = {R\&D of 50\% \#1 user\_item models costs \$5},"


def test_math_macros_and_groups_already_in_the_metadata_are_kept():
    entry = bibtex_entry(PaperFactory(title=r"$\alpha$-NDCG for {BERT} and \emph{Q\&A} with $x_i$"))
    assert field(entry, "title") == r"  title = {$\alpha$-NDCG for {BERT} and \emph{Q\&A} with $x_i$},"


def test_accented_names_become_latex():
    entry = bibtex_entry(PaperFactory(authors_text="Jörg Müller, Łukasz Kaiser"))
    assert field(entry, "author") == r"  author = {J\"org M\"uller and {\L}ukasz Kaiser},"
