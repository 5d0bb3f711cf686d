"""FEBRL4: link dataset A to dataset B with our machinery, beside the recordlinkage toolkit.

FEBRL4 (Christen, Freely Extensible Biomedical Record Linkage) ships inside ``recordlinkage``:
5,000 original records and 5,000 corrupted duplicates, one duplicate per original, so the true
links are known (``rec-N-org`` <-> ``rec-N-dup-0``). Both methods are scored on the same links:
pairwise precision, recall and F1 over A-B pairs, and wall time.

Ours: ``localjustice.linkage.link_table`` (the same records cleaning, comparisons, blocking,
unsupervised training, threshold and clustering as ``localjustice link``), with FEBRL's columns
mapped onto the standard input: given name, surname, date of birth, postcode, and the social
security id in the slot for a trusted national identifier (the PNC id in justice data).

recordlinkage's classical approach, as in its documentation for this data set: block on given
name, compare given name, surname (Jaro-Winkler 0.85), date of birth, suburb, state and address
(0.85), and call a pair a match when more than three of the six agree. A second line gives the
same features, over the union of blocks on given name, surname and date of birth (for recall),
classified by its unsupervised ECM (Fellegi-Sunter) classifier.

Run: ``.venv/bin/python benchmarks/bench_linkage_febrl.py``
"""

from __future__ import annotations

import time

import pandas as pd


def _true_key(rec_id: str) -> str:
    return rec_id.split("-")[1]


def _scores(predicted: set[tuple[str, str]], true: set[tuple[str, str]]) -> tuple[float, ...]:
    tp = len(predicted & true)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(true)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _people(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    return pd.DataFrame({
        "source": source,
        "source_person_id": frame.index.astype(str),
        "forename": frame["given_name"],
        "surname": frame["surname"],
        "date_of_birth": pd.to_datetime(frame["date_of_birth"], format="%Y%m%d",
                                        errors="coerce").dt.date,
        "sex": None,
        "postcode": frame["postcode"],
        "borough_code": None,
        "pnc_id": frame["soc_sec_id"],
    })


def ours(a: pd.DataFrame, b: pd.DataFrame) -> tuple[set[tuple[str, str]], float, int]:
    from localjustice.linkage import LinkageOptions, link_table

    start = time.perf_counter()
    people = pd.concat([_people(a, "A"), _people(b, "B")], ignore_index=True)
    result = link_table(people, options=LinkageOptions(link_type="link_only"))
    clusters = result.clusters.to_pandas()
    clusters["source"] = clusters["unit_id"].str.slice(0, 1)
    clusters["rec_id"] = clusters["unit_id"].str.slice(2)
    left = clusters[clusters["source"] == "A"]
    right = clusters[clusters["source"] == "B"]
    joined = left.merge(right, on="cluster_id", suffixes=("_a", "_b"))
    predicted = set(zip(joined["rec_id_a"], joined["rec_id_b"], strict=True))
    return predicted, time.perf_counter() - start, result.comparisons


def _features(
    a: pd.DataFrame, b: pd.DataFrame, *, wide: bool = False
) -> tuple[pd.DataFrame, int]:
    import recordlinkage

    indexer = recordlinkage.Index()
    indexer.block("given_name")
    if wide:
        indexer.block("surname")
        indexer.block("date_of_birth")
    candidates = indexer.index(a, b)
    compare = recordlinkage.Compare()
    compare.exact("given_name", "given_name", label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("suburb", "suburb", label="suburb")
    compare.exact("state", "state", label="state")
    compare.string("address_1", "address_1", threshold=0.85, label="address_1")
    return compare.compute(candidates, a, b), len(candidates)


def classical(a: pd.DataFrame, b: pd.DataFrame) -> tuple[set[tuple[str, str]], float, int]:
    start = time.perf_counter()
    features, candidates = _features(a, b)
    matches = features[features.sum(axis=1) > 3]
    return set(matches.index.tolist()), time.perf_counter() - start, candidates


def classical_ecm(a: pd.DataFrame, b: pd.DataFrame) -> tuple[set[tuple[str, str]], float, int]:
    import recordlinkage

    start = time.perf_counter()
    features, candidates = _features(a, b, wide=True)
    classifier = recordlinkage.ECMClassifier(binarize=0.5)
    matches = classifier.fit_predict(features)
    return set(matches.tolist()), time.perf_counter() - start, candidates


def main() -> None:
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    keys_b = {_true_key(r): r for r in b.index}
    true = {(ra, keys_b[_true_key(ra)]) for ra in a.index if _true_key(ra) in keys_b}
    print(f"FEBRL4: {len(a):,} records in A, {len(b):,} in B, {len(true):,} true links.")
    print(f"{'method':<44} {'pairs':>10} {'precision':>9} {'recall':>7} {'F1':>7} {'time':>7}")
    rows = [
        ("localjustice (Splink, unsupervised)", ours),
        ("recordlinkage classical (rule: >3 of 6)", classical),
        ("recordlinkage ECM, blocks name|surname|dob", classical_ecm),
    ]
    f1s: dict[str, float] = {}
    for name, method in rows:
        predicted, seconds, compared = method(a, b)
        precision, recall, f1 = _scores(predicted, true)
        f1s[name] = f1
        print(f"{name:<44} {compared:>10,} {precision:>9.4f} {recall:>7.4f} {f1:>7.4f} "
              f"{seconds:>6.1f}s")
    ours_f1 = f1s[rows[0][0]]
    best_other = max(f1s[n] for n, _ in rows[1:])
    print(f"F1 ours / best recordlinkage: {ours_f1:.4f} / {best_other:.4f} "
          f"({'beats' if ours_f1 > best_other else 'does not beat'} it)")


if __name__ == "__main__":
    main()
