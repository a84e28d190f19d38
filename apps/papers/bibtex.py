"""BibTeX for papers, in the form arXiv's own export uses (@misc with eprint fields)."""

import re
import unicodedata

from pylatexenc.latexencode import RULE_REGEX, UnicodeToLatexConversionRule, UnicodeToLatexEncoder

from apps.papers.models import Paper

STOPWORDS = {"a", "an", "the", "on", "of", "for", "in", "to", "and", "with", "towards", "toward"}


def _ascii_word(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def citation_key(paper: Paper) -> str:
    first_author = (paper.authors_text.split(",")[0].split() or ["anon"])[-1]
    words = [w for w in (_ascii_word(w) for w in paper.title.split()) if w and w not in STOPWORDS]
    return f"{_ascii_word(first_author) or 'anon'}{paper.published.year}{words[0] if words else ''}"


# arXiv metadata is TeX source: its math, macros (\emph, \&) and groups are kept as written; bare
# specials (& % # _ $ ~ ^) and non-ASCII letters become LaTeX through pylatexenc's tables.
_TEX = UnicodeToLatexEncoder(
    conversion_rules=[
        UnicodeToLatexConversionRule(
            RULE_REGEX,
            [(re.compile(r"\$[^$]+\$|\\[A-Za-z]+|\\.|[{}]"), r"\g<0>"), (re.compile(r"[&%#_]"), r"\\\g<0>")],
            replacement_latex_protection="none",
        ),
        "defaults",
    ],
    unknown_char_policy="keep",
    unknown_char_warning=False,
)


def _latex(text: str) -> str:
    # Unbalanced braces would break the whole .bib file; arXiv titles rarely have them, drop them if so.
    text = text if text.count("{") == text.count("}") else text.replace("{", "").replace("}", "")
    return _TEX.unicode_to_latex(text)


def bibtex_entry(paper: Paper) -> str:
    authors = " and ".join(name.strip() for name in paper.authors_text.split(",") if name.strip())
    fields = [
        ("title", f"{{{_latex(paper.title)}}}"),
        ("author", f"{{{_latex(authors)}}}"),
        ("year", f"{{{paper.published.year}}}"),
        ("eprint", f"{{{paper.arxiv_id}}}"),
        ("archivePrefix", "{arXiv}"),
        ("primaryClass", f"{{{paper.primary_category}}}"),
        ("url", f"{{{paper.abs_url}}}"),
    ]
    if paper.doi:
        fields.append(("doi", f"{{{paper.doi}}}"))
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@misc{{{citation_key(paper)},\n{body}\n}}\n"


def bibtex_file(papers) -> str:
    return "\n".join(bibtex_entry(paper) for paper in papers)
