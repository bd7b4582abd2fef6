"""Bad input everywhere a user types: one table per component, read top to bottom.

Every case checks three things: the exception type, that its one-line message names the field (and, where it
helps, the value), and, for the memory store and the wake gate, that everything stored before the call is still
there, byte for byte, afterwards. The components are the real ones: a LanceDB store in a temporary folder, the
offline MiniLM embedder and the tiny random Llama. Identifiers follow one rule, `core.IDENTIFIER`
(`[A-Za-z0-9_.@-]{1,128}`, never stripped). The agent's and the CLI's bad input are tested in their own files.
"""
import hashlib, json, os, subprocess, sys, textwrap
from pathlib import Path

import numpy as np
import pytest

from sleeptrain.core import (ChecksumError, IDENTIFIER, check_identifier, check_int, check_number, check_text,
                             get_device, get_dtype, seed_everything, verify_sidecar, write_sidecar)
from sleeptrain.schema import MemoryRecord
from sleeptrain.memory import Hippocampus
from sleeptrain.importance import ImportanceClassifier, ImportanceScorer, statement_nll
from sleeptrain.hedge import Exp3, Hedge, hedge_eta
from sleeptrain.gate import WakeGate
from sleeptrain.teacher import HTTPTeacher, LMTeacher, TemplateTeacher, qa_pairs
from sleeptrain.models import load_embedder, tiny_lm

KEPT = ["Corvin Ostrik was born in Lisbon.", "Mira Talveen works as a baker."]
TEN_MB = "Corvin Ostrik was born in Lisbon. " * 300_000
NAN, INF = float("nan"), float("inf")


def expect_error(call, exc, needles):
    "Run `call`; it must raise `exc` with a one-line message holding every needle."
    with pytest.raises(exc) as info:
        call()
    message = str(info.value)
    assert "\n" not in message.strip(), f"not one line: {message!r}"
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    return message


# ------------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def embedder():
    return load_embedder()


@pytest.fixture(scope="module")
def tiny():
    return tiny_lm(seed=0)


@pytest.fixture(scope="module")
def store(tmp_path_factory, embedder):
    "alice's store with two memories, and bob's memory in the same folder."
    uri = tmp_path_factory.mktemp("store") / "db"
    Hippocampus(uri, embedder=embedder, namespace="bob").add("Bob's dog is called Rex.")
    mem = Hippocampus(uri, embedder=embedder, namespace="alice")
    mem.upsert([MemoryRecord(t, namespace="alice") for t in KEPT])
    return mem


def snapshot(mem):
    "Every file in the store's folder with its SHA-256: the table (all namespaces, embeddings), its versions and logs."
    folder = Path(mem.uri)
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def unchanged(store):
    "Yields the store; afterwards asserts that no byte in its folder changed and alice still has her two memories."
    before = snapshot(store)
    yield store
    assert snapshot(store) == before
    assert len(store) == len(KEPT)


# ------------------------------------------------------------------------------------------------ core checks
CORE_CASES = [
    pytest.param(lambda: check_text(None, "memory"), TypeError, ["memory", "NoneType"], id="text-None"),
    pytest.param(lambda: check_text(b"Paris", "memory"), TypeError, ["memory", "bytes"], id="text-bytes"),
    pytest.param(lambda: check_text(["Paris"], "memory"), TypeError, ["memory", "list"], id="text-list"),
    pytest.param(lambda: check_text("", "memory"), ValueError, ["memory", "''"], id="text-empty"),
    pytest.param(lambda: check_text(" \t\r\n", "memory"), ValueError, ["memory"], id="text-whitespace-only"),
    pytest.param(lambda: check_text("\x00", "memory"), ValueError, ["memory", r"'\x00'"], id="text-NUL-only"),
    pytest.param(lambda: check_text("\x00\x01 \n", "memory"), ValueError, ["memory", "control"],
                 id="text-controls-only"),
    pytest.param(lambda: check_text("\u200b\u200d", "memory"), ValueError, ["memory"], id="text-zero-width-only"),
    pytest.param(lambda: check_int(True, "epochs", 1), ValueError, ["epochs", "True"], id="int-bool"),
    pytest.param(lambda: check_int(2.0, "epochs", 1), ValueError, ["epochs", "2.0"], id="int-float"),
    pytest.param(lambda: check_int("3", "epochs", 1), ValueError, ["epochs", "'3'"], id="int-str"),
    pytest.param(lambda: check_int(0, "epochs", 1), ValueError, ["epochs", ">= 1", "0"], id="int-below-range"),
    pytest.param(lambda: check_number(NAN, "lr", 0), ValueError, ["lr", "nan"], id="number-NaN"),
    pytest.param(lambda: check_number(INF, "lr", 0), ValueError, ["lr", "inf"], id="number-inf"),
    pytest.param(lambda: check_number(True, "lr", 0), ValueError, ["lr", "True"], id="number-bool"),
    pytest.param(lambda: check_number(None, "lr", 0), ValueError, ["lr", "None"], id="number-None"),
    pytest.param(lambda: seed_everything(-1), ValueError, ["seed", "-1"], id="seed-negative"),
    pytest.param(lambda: seed_everything("abc"), ValueError, ["seed", "'abc'"], id="seed-str"),
    pytest.param(lambda: get_device("tpu9"), ValueError, ["device", "tpu9"], id="device-unknown"),
    pytest.param(lambda: get_dtype("int3", "cpu"), ValueError, ["dtype", "int3"], id="dtype-unknown"),
]


@pytest.mark.parametrize("call,exc,needles", CORE_CASES)
def test_core_checks(call, exc, needles):
    expect_error(call, exc, needles)


def test_text_is_content_stripped_and_kept_inside():
    assert check_text("  Paris is in France.\n") == "Paris is in France."
    assert check_text("a\x00b") == "a\x00b"


# ------------------------------------------------------------------------------------------------ identifiers
BAD_IDENTIFIERS = [
    pytest.param(" alice", id="leading-space"), pytest.param("alice\n", id="trailing-newline"),
    pytest.param("alice\x00", id="NUL"), pytest.param("", id="empty"), pytest.param("a" * 129, id="129-chars"),
    pytest.param("alice/bob", id="slash"), pytest.param("al ice", id="inner-space"),
    pytest.param("alice\t", id="tab"), pytest.param("../alice", id="path-traversal"),
    pytest.param("x' OR '1'='1", id="sql-quote"), pytest.param("élise", id="non-ascii"),
]
# None is tested in the record and store tables: for a record's id it means "make one from the text"
WRONG_TYPES = [pytest.param(b"alice", id="bytes"), pytest.param(7, id="int"), pytest.param(1.5, id="float"),
               pytest.param(("alice",), id="tuple")]

# where an identifier is typed, and the field its error must name
IDENTIFIER_SITES = [
    pytest.param(lambda mem, bad: check_identifier(bad, "namespace"), "namespace", id="check_identifier"),
    pytest.param(lambda mem, bad: MemoryRecord("x", namespace=bad), "namespace", id="record-namespace"),
    pytest.param(lambda mem, bad: MemoryRecord("x", source=bad), "source", id="record-source"),
    pytest.param(lambda mem, bad: MemoryRecord("x", id=bad), "id", id="record-id"),
    pytest.param(lambda mem, bad: MemoryRecord("x", supersedes=bad), "supersedes", id="record-supersedes"),
    pytest.param(lambda mem, bad: Hippocampus(mem.uri, embedder=False, namespace=bad), "namespace",
                 id="store-namespace"),
    pytest.param(lambda mem, bad: Hippocampus(mem.uri, embedder=False, table=bad), "table", id="store-table"),
    pytest.param(lambda mem, bad: mem.get(bad), "id", id="store-get"),
    pytest.param(lambda mem, bad: mem.history(bad), "id", id="store-history"),
    pytest.param(lambda mem, bad: mem.supersede(bad, "A correction."), "old_id", id="store-supersede"),
    pytest.param(lambda mem, bad: mem.mark_consolidated([bad], 1), "ids[0]", id="store-mark_consolidated"),
    pytest.param(lambda mem, bad: mem.add("A new memory.", source=bad), "source", id="store-add-source"),
    pytest.param(lambda mem, bad: WakeGate(mem).process(["A new memory."], source=bad), "source", id="gate-source"),
    pytest.param(lambda mem, bad: WakeGate(mem, trust={bad: 0.2}), "trust source", id="gate-trust"),
    pytest.param(lambda mem, bad: Hedge(actions=["STORE", bad]), "actions[1]", id="hedge-action"),
]


@pytest.mark.parametrize("site,field", IDENTIFIER_SITES)
@pytest.mark.parametrize("bad", BAD_IDENTIFIERS)
def test_identifiers_are_never_normalised(unchanged, site, field, bad):
    value = repr(bad)[:40] if len(bad) <= 128 else "129 characters"
    expect_error(lambda: site(unchanged, bad), ValueError, [field, value])


@pytest.mark.parametrize("site,field", IDENTIFIER_SITES)
@pytest.mark.parametrize("bad", WRONG_TYPES)
def test_identifiers_must_be_strings(unchanged, site, field, bad):
    expect_error(lambda: site(unchanged, bad), TypeError, [field, type(bad).__name__])


def test_the_rule_is_the_documented_one(store):
    assert IDENTIFIER.pattern == "[A-Za-z0-9_.@-]{1,128}"
    for good in ("alice", "user-42", "team.research@example.org", "a" * 128):
        assert check_identifier(good, "namespace") == good
    assert len(Hippocampus(store.uri, embedder=False, namespace="alice")) == 2


# ------------------------------------------------------------------------------------------------ memory records
RECORD_CASES = [
    pytest.param(dict(text=None), TypeError, ["text", "NoneType"], id="text-None"),
    pytest.param(dict(text=""), ValueError, ["text", "''"], id="text-empty"),
    pytest.param(dict(text="\x00\x01 \n"), ValueError, ["text", "control"], id="text-controls-only"),
    pytest.param(dict(namespace=None), TypeError, ["namespace", "NoneType"], id="namespace-None"),
    pytest.param(dict(source=None), TypeError, ["source", "NoneType"], id="source-None"),
    pytest.param(dict(kind="dream"), ValueError, ["kind", "'dream'"], id="kind-unknown"),
    pytest.param(dict(kind=" fact"), ValueError, ["kind", "' fact'"], id="kind-with-space"),
    pytest.param(dict(status="deleted"), ValueError, ["status", "'deleted'"], id="status-unknown"),
    pytest.param(dict(importance=NAN), ValueError, ["importance", "nan"], id="importance-NaN"),
    pytest.param(dict(importance=INF), ValueError, ["importance", "inf"], id="importance-inf"),
    pytest.param(dict(importance=True), ValueError, ["importance", "True"], id="importance-bool"),
    pytest.param(dict(importance="0.9"), ValueError, ["importance", "'0.9'"], id="importance-str"),
    pytest.param(dict(surprise=None), ValueError, ["surprise", "None"], id="surprise-None"),
    pytest.param(dict(version=0), ValueError, ["version", "0"], id="version-zero"),
    pytest.param(dict(version=1.5), ValueError, ["version", "1.5"], id="version-float"),
    pytest.param(dict(version=True), ValueError, ["version", "True"], id="version-bool"),
    pytest.param(dict(consolidated_in=-2), ValueError, ["consolidated_in", "-2"], id="consolidated_in-below"),
    pytest.param(dict(created_at=INF), ValueError, ["created_at", "inf"], id="created_at-inf"),
    pytest.param(dict(valid_to=NAN), ValueError, ["valid_to", "nan"], id="valid_to-NaN"),
    pytest.param(dict(subject="\x00"), ValueError, ["subject"], id="subject-NUL"),
    pytest.param(dict(object=5), TypeError, ["object", "int"], id="object-int"),
]


@pytest.mark.parametrize("fields,exc,needles", RECORD_CASES)
def test_memory_record_fields(fields, exc, needles):
    expect_error(lambda: MemoryRecord(**{"text": "A memory.", **fields}), exc, needles)


# ------------------------------------------------------------------------------------------------ the memory store
STORE_CASES = [
    # writes
    pytest.param(lambda m: m.upsert("A bare string, not a list."), TypeError, ["records", "str"],
                 id="upsert-bare-string"),
    pytest.param(lambda m: m.upsert(None), TypeError, ["records", "NoneType"], id="upsert-None"),
    pytest.param(lambda m: m.upsert(["A fine memory.", ""]), ValueError, ["records[1]", "''"], id="upsert-empty-text"),
    pytest.param(lambda m: m.upsert(["A fine memory.", 7]), TypeError, ["records[1]", "int"], id="upsert-int-text"),
    pytest.param(lambda m: m.upsert(["A fine memory.", b"bytes"]), TypeError, ["records[1]", "bytes"],
                 id="upsert-bytes"),
    pytest.param(lambda m: m.upsert(["A fine memory.", "\x00"]), ValueError, ["records[1]"], id="upsert-NUL-text"),
    pytest.param(lambda m: m.upsert([MemoryRecord("Bob's cat.", namespace="bob")]), ValueError,
                 ["records[0].namespace", "'bob'", "'alice'"], id="upsert-other-namespace"),
    pytest.param(lambda m: m.upsert(["x" * 8001]), ValueError, ["records[0].text", "8001", "max_chars=8000"],
                 id="upsert-over-max_chars"),
    pytest.param(lambda m: m.add(TEN_MB), ValueError, ["text", "max_chars"], id="add-10MB-text"),
    pytest.param(lambda m: m.add("A memory.", kind="dream"), ValueError, ["kind", "'dream'"], id="add-bad-kind"),
    pytest.param(lambda m: m.add("A memory.", importance=NAN), ValueError, ["importance", "nan"],
                 id="add-NaN-importance"),
    pytest.param(lambda m: m.upsert(["A fine memory."], embeddings=np.ones((1, 5))), ValueError,
                 ["embeddings", "dimension 5", "384"], id="embeddings-wrong-dimension"),
    pytest.param(lambda m: m.upsert(["One.", "Two."], embeddings=np.ones((1, 384))), ValueError,
                 ["embeddings", "(2, dim)", "(1, 384)"], id="embeddings-wrong-count"),
    pytest.param(lambda m: m.upsert(["A fine memory."], embeddings=np.full((1, 384), NAN)), ValueError,
                 ["embeddings", "finite"], id="embeddings-NaN"),
    pytest.param(lambda m: m.upsert(["A fine memory."], embeddings=np.zeros((1, 384))), ValueError,
                 ["embeddings[0]", "zeros"], id="embeddings-all-zero"),
    pytest.param(lambda m: m.upsert(["A fine memory."], embeddings=[["a"] * 384]), TypeError,
                 ["embeddings", "numbers"], id="embeddings-strings"),
    # queries
    pytest.param(lambda m: m.query("dog", top_k=0), ValueError, ["top_k", "0"], id="top_k-zero"),
    pytest.param(lambda m: m.query("dog", top_k=-3), ValueError, ["top_k", "-3"], id="top_k-negative"),
    pytest.param(lambda m: m.query("dog", top_k=True), ValueError, ["top_k", "True"], id="top_k-bool"),
    pytest.param(lambda m: m.query("dog", top_k=2.5), ValueError, ["top_k", "2.5"], id="top_k-float"),
    pytest.param(lambda m: m.query("dog", top_k="5"), ValueError, ["top_k", "'5'"], id="top_k-str"),
    pytest.param(lambda m: m.query("dog", top_k=None), ValueError, ["top_k", "None"], id="top_k-None"),
    pytest.param(lambda m: m.query(None), TypeError, ["query", "NoneType"], id="query-None"),
    pytest.param(lambda m: m.query(""), ValueError, ["query", "''"], id="query-empty"),
    pytest.param(lambda m: m.query("\x00\x01 \n"), ValueError, ["query", "control"], id="query-controls-only"),
    pytest.param(lambda m: m.query(TEN_MB), ValueError, ["query", "max_chars"], id="query-10MB"),
    pytest.param(lambda m: m.query("dog", where=[("kind", "fact")]), TypeError, ["where", "list"], id="where-list"),
    pytest.param(lambda m: m.query("dog", colour="red"), ValueError, ["filter field", "'colour'"], id="filter-unknown"),
    pytest.param(lambda m: m.records(importance=NAN), ValueError, ["filter value", "nan"], id="filter-NaN"),
    pytest.param(lambda m: m.query_vector(np.ones(7)), ValueError, ["vector", "dimension 7", "384"],
                 id="vector-wrong-dim"),
    pytest.param(lambda m: m.query_vector(np.full(384, INF)), ValueError, ["vector", "finite"], id="vector-inf"),
    pytest.param(lambda m: m.query_vector(np.zeros(384)), ValueError, ["vector", "zeros"], id="vector-zero"),
    pytest.param(lambda m: m.query_vector(np.ones((2, 384))), ValueError, ["vector", "(dim,)", "(2, 384)"],
                 id="vector-2d"),
    pytest.param(lambda m: m.query_vector(None), ValueError, ["vector", "(dim,)"], id="vector-None"),
    # corrections, consolidation, time travel, replay
    pytest.param(lambda m: m.supersede("0" * 32, "A correction."), KeyError, ["old_id", "0" * 32, "alice"],
                 id="supersede-unknown-id"),
    pytest.param(lambda m: m.supersede(m.records()[0].id, None), TypeError, ["new", "NoneType"],
                 id="supersede-new-None"),
    pytest.param(lambda m: m.supersede(m.records()[0].id, m.records()[0].text), ValueError, ["same text", "old_id"],
                 id="supersede-same-text"),
    pytest.param(lambda m: m.supersede(m.records()[0].id, "A correction.", embedding=np.ones(3)), ValueError,
                 ["embedding", "dimension 3"], id="supersede-embedding-wrong-dim"),
    pytest.param(lambda m: m.history("0" * 32), KeyError, ["id", "0" * 32], id="history-unknown-id"),
    pytest.param(lambda m: m.mark_consolidated(m.records()[0].id, 1), TypeError, ["ids", "str"],
                 id="mark_consolidated-bare-id"),
    pytest.param(lambda m: m.mark_consolidated([m.records()[0].id], -1), ValueError, ["sleep_id", "-1"],
                 id="mark_consolidated-negative-sleep"),
    pytest.param(lambda m: m.mark_consolidated([m.records()[0].id], True), ValueError, ["sleep_id", "True"],
                 id="mark_consolidated-bool-sleep"),
    pytest.param(lambda m: m.checkout(True), ValueError, ["version", "True"], id="checkout-bool"),
    pytest.param(lambda m: m.checkout(999), ValueError, ["version", "999"], id="checkout-unknown"),
    pytest.param(lambda m: m.sample_replay(-1), ValueError, ["n", "-1"], id="replay-negative-n"),
    pytest.param(lambda m: m.sample_replay(2, strategy="best"), ValueError, ["strategy", "'best'"],
                 id="replay-strategy"),
    pytest.param(lambda m: m.sample_replay(2, temperature=0), ValueError, ["temperature", "0"],
                 id="replay-temperature"),
    pytest.param(lambda m: m.sample_replay(2, half_life=NAN), ValueError, ["half_life", "nan"], id="replay-half_life"),
    pytest.param(lambda m: m.sample_replay(2, seed=-5), ValueError, ["seed", "-5"], id="replay-seed"),
    # opening a store
    pytest.param(lambda m: m.get(None), TypeError, ["id", "NoneType"], id="get-None"),
    pytest.param(lambda m: Hippocampus(m.uri, namespace=None), TypeError, ["namespace", "NoneType"],
                 id="store-namespace-None"),
    pytest.param(lambda m: Hippocampus(None), TypeError, ["uri", "NoneType"], id="store-uri-None"),
    pytest.param(lambda m: Hippocampus(""), ValueError, ["uri", "''"], id="store-uri-empty"),
    pytest.param(lambda m: Hippocampus(m.uri, max_chars=0), ValueError, ["max_chars", "0"], id="store-max_chars-zero"),
    pytest.param(lambda m: Hippocampus(m.uri, max_chars=True), ValueError, ["max_chars", "True"],
                 id="store-max_chars-bool"),
    pytest.param(lambda m: Hippocampus(m.uri, index_type="BTREE"), ValueError, ["index_type", "'BTREE'"],
                 id="store-index_type"),
    pytest.param(lambda m: Hippocampus(m.uri, nprobes=2.5), ValueError, ["nprobes", "2.5"], id="store-nprobes-float"),
]


@pytest.mark.parametrize("call,exc,needles", STORE_CASES)
def test_store_refuses_and_keeps_what_it_had(unchanged, call, exc, needles):
    expect_error(lambda: call(unchanged), exc, needles)


def test_read_only_folder_refuses_writes_and_keeps_memories(tmp_path, embedder):
    mem = Hippocampus(tmp_path / "db", embedder=embedder, namespace="alice")
    mem.upsert(KEPT)
    folders = [tmp_path / "db", tmp_path / "db" / "memories.lance"]
    for folder in folders:
        folder.chmod(0o555)
    try:
        if os.access(tmp_path / "db", os.W_OK):
            pytest.skip("running as root: chmod cannot make a folder read-only")
        before = snapshot(mem)
        expect_error(lambda: mem.add("A new memory."), PermissionError, ["memory folder", str(tmp_path / "db")])
        assert snapshot(mem) == before
    finally:
        for folder in folders:
            folder.chmod(0o755)
    assert sorted(r.text for r in mem.records()) == sorted(KEPT)


WRITER = textwrap.dedent("""
    import sys, numpy as np
    from sleeptrain.schema import MemoryRecord
    from sleeptrain.memory import Hippocampus
    uri, vectors = sys.argv[1], np.load(sys.argv[2])
    mem = Hippocampus(uri, embedder=False, namespace="shared")        # opened before any table exists
    print("open", flush=True)
    sys.stdin.readline()
    for batch in range(4):
        texts = [f"the child wrote memory {batch}-{i}." for i in range(5)]
        mem.upsert([MemoryRecord(t, namespace="shared") for t in texts], embeddings=vectors[5 * batch:5 * batch + 5])
""")


def test_two_processes_writing_one_memory_folder(tmp_path, embedder):
    "This process and a child open one empty folder, then both write four batches into it at once."
    texts = {who: [f"the {who} wrote memory {batch}-{i}." for batch in range(4) for i in range(5)]
             for who in ("child", "parent")}
    np.save(tmp_path / "child.npy", embedder.encode(texts["child"], normalize_embeddings=True))
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / "db"), str(tmp_path / "child.npy")],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "open", child.stderr.read()
        mem = Hippocampus(tmp_path / "db", embedder=embedder, namespace="shared")
        assert mem.version == 0
        child.stdin.write("go\n")
        child.stdin.flush()
        for batch in range(4):
            mem.upsert(texts["parent"][5 * batch:5 * batch + 5])
        _, err = child.communicate(timeout=120)
    finally:
        child.kill()
    assert child.returncode == 0, err[-800:]
    fresh = Hippocampus(tmp_path / "db", embedder=embedder, namespace="shared")
    assert sorted(r.text for r in fresh.records()) == sorted(texts["child"] + texts["parent"])
    log = [json.loads(line) for line in open(fresh.log_path)]
    assert len(log) == 8 and all(entry["op"] == "upsert" for entry in log)


# ------------------------------------------------------------------------------------------------ importance
def test_importance_configs(tiny, tmp_path):
    model, tok = tiny
    cases = [
        (lambda: ImportanceScorer(model, tok, mode="vibes"), ValueError, ["importance_mode", "'vibes'"]),
        (lambda: ImportanceScorer(model, tok, mode="classifier"), ValueError, ["importance_mode", "classifier="]),
        (lambda: ImportanceScorer(model, tok, window=1), ValueError, ["window", "1"]),
        (lambda: ImportanceScorer(model, tok, window=True), ValueError, ["window", "True"]),
        (lambda: ImportanceScorer(model, tok, batch_size=0), ValueError, ["batch_size", "0"]),
        (lambda: ImportanceScorer(model, tok, reference="Water is wet."), TypeError, ["reference", "str"]),
        (lambda: ImportanceScorer(model, tok, reference=["Water is wet.", "\x00"]), ValueError, ["reference[1]"]),
        (lambda: ImportanceScorer(model, tok, reference=[]), ValueError, ["reference", "empty"]),
        (lambda: ImportanceScorer(model, tok, classifier="clf.safetensors"), TypeError, ["classifier", "str"]),
        (lambda: statement_nll(model, tok, "Hello there."), TypeError, ["texts", "str"]),
        (lambda: statement_nll(model, tok, ["Hello there.", None]), TypeError, ["texts[1]", "NoneType"]),
        (lambda: statement_nll(model, tok, ["Hello there."], batch_size=0), ValueError, ["batch_size", "0"]),
        (lambda: ImportanceScorer(model, tok).score(["Fine.", ""]), ValueError, ["texts[1]", "''"]),
        (lambda: ImportanceClassifier(0), ValueError, ["dim", "0"]),
        (lambda: ImportanceClassifier(True), ValueError, ["dim", "True"]),
        (lambda: ImportanceClassifier(8).predict(np.ones((2, 5)), [1.0, 2.0]), ValueError, ["embeddings", "(n, 8)"]),
        (lambda: ImportanceClassifier(8).predict(np.ones((2, 8)), [1.0]), ValueError, ["nll", "2"]),
        (lambda: ImportanceClassifier(8).predict(np.full((1, 8), NAN), [1.0]), ValueError, ["embeddings", "finite"]),
        (lambda: ImportanceClassifier(8).fit(np.ones((2, 8)), [1.0, 2.0], [0, 2]), ValueError, ["labels", "2.0"]),
        (lambda: ImportanceClassifier(8).fit(np.ones((2, 8)), [1.0, 2.0], [0, 1], epochs=0), ValueError, ["epochs"]),
        (lambda: ImportanceClassifier(8).fit(np.ones((2, 8)), [1.0, 2.0], [0, 1], lr=NAN), ValueError, ["lr", "nan"]),
    ]
    for call, exc, needles in cases:
        expect_error(call, exc, needles)


@pytest.mark.parametrize("tamper,exc,needles", [
    pytest.param(lambda d: (d / "classifier.safetensors").write_bytes(b"\x00" * 64), ChecksumError,
                 ["classifier.safetensors", "does not match"], id="weights-changed"),
    pytest.param(lambda d: (d / "classifier.safetensors.sha256").unlink(), ChecksumError,
                 ["classifier.safetensors", "no SHA-256 sidecar"], id="sidecar-removed"),
    pytest.param(lambda d: (d / "classifier.json").write_text('{"kind": "importance-classifier"'), ValueError,
                 ["classifier.json", "corrupt"], id="config-truncated"),
    pytest.param(lambda d: (d / "classifier.json").write_text('{"kind": "pickle", "dim": 8}'), ValueError,
                 ["classifier.json", "kind", "pickle"], id="config-kind"),
    pytest.param(lambda d: (d / "classifier.json").write_text('{"kind": "importance-classifier", "dim": 12}'),
                 ValueError, ["classifier.json", "dim=12"], id="config-dim-changed"),
    pytest.param(lambda d: (d / "classifier.json").write_text('{"kind": "importance-classifier", "dim": "8"}'),
                 ValueError, ["classifier.json", "dim", "'8'"], id="config-dim-str"),
    pytest.param(lambda d: (d / "classifier.json").unlink(), FileNotFoundError, ["classifier.json"],
                 id="config-removed"),
])
def test_saved_classifier_tampering(tmp_path, tamper, exc, needles):
    folder = ImportanceClassifier(8).save(tmp_path / "clf")
    tamper(folder)
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    expect_error(lambda: ImportanceClassifier.load(folder), exc, needles)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == files        # loading changes nothing on disk


# ------------------------------------------------------------------------------------------------ SHA-256 sidecars
@pytest.mark.parametrize("tamper,exc,needles", [
    pytest.param(lambda f: f.write_bytes(b"changed"), ChecksumError, ["weights.bin", "does not match"],
                 id="file-changed"),
    pytest.param(lambda f: f.with_name("weights.bin.sha256").unlink(), ChecksumError, ["no SHA-256 sidecar"],
                 id="sidecar-missing"),
    pytest.param(lambda f: f.with_name("weights.bin.sha256").write_text(""), ChecksumError, ["malformed"],
                 id="sidecar-empty"),
    pytest.param(lambda f: f.with_name("weights.bin.sha256").write_text("not-a-hash  weights.bin\n"), ChecksumError,
                 ["malformed"], id="sidecar-not-hex"),
    pytest.param(lambda f: f.with_name("weights.bin.sha256").write_bytes(b"\xff\xfe\x00"), ChecksumError,
                 ["malformed"], id="sidecar-binary"),
    pytest.param(lambda f: f.with_name("weights.bin.sha256").write_text(f"{'0' * 64}  other.bin\n"), ChecksumError,
                 ["'other.bin'", "weights.bin"], id="sidecar-of-another-file"),
    pytest.param(lambda f: f.unlink(), FileNotFoundError, ["weights.bin"], id="file-missing"),
])
def test_sidecar_tampering(tmp_path, tamper, exc, needles):
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"\x01\x02" * 1000)
    write_sidecar(weights)
    assert verify_sidecar(weights) == weights
    tamper(weights)
    expect_error(lambda: verify_sidecar(weights), exc, needles)


# ------------------------------------------------------------------------------------------------ Hedge and Exp3
POLICY_CASES = [
    pytest.param(lambda: Hedge(eta=0), ValueError, ["eta", "> 0", "0"], id="eta-zero"),
    pytest.param(lambda: Hedge(eta=-0.1), ValueError, ["eta", "-0.1"], id="eta-negative"),
    pytest.param(lambda: Hedge(eta=NAN), ValueError, ["eta", "nan"], id="eta-NaN"),
    pytest.param(lambda: Hedge(eta=INF), ValueError, ["eta", "inf"], id="eta-inf"),
    pytest.param(lambda: Hedge(eta=True), ValueError, ["eta", "True"], id="eta-bool"),
    pytest.param(lambda: Hedge(eta="0.1"), ValueError, ["eta", "'0.1'"], id="eta-str"),
    pytest.param(lambda: Hedge(actions="AB"), TypeError, ["actions", "str"], id="actions-string"),
    pytest.param(lambda: Hedge(actions=["STORE"]), ValueError, ["actions", "two or more"], id="actions-one"),
    pytest.param(lambda: Hedge(actions=["STORE", "STORE"]), ValueError, ["actions", "distinct"],
                 id="actions-duplicate"),
    pytest.param(lambda: Hedge(actions=None), TypeError, ["actions", "NoneType"], id="actions-None"),
    pytest.param(lambda: Hedge(horizon=0), ValueError, ["horizon", "0"], id="horizon-zero"),
    pytest.param(lambda: Hedge(horizon=True), ValueError, ["horizon", "True"], id="horizon-bool"),
    pytest.param(lambda: Hedge(reward_clip=(1, 0)), ValueError, ["reward_clip", "low < high"], id="clip-reversed"),
    pytest.param(lambda: Hedge(reward_clip=(0, INF)), ValueError, ["reward_clip[1]", "inf"], id="clip-inf"),
    pytest.param(lambda: Hedge(reward_clip=None), ValueError, ["reward_clip", "None"], id="clip-None"),
    pytest.param(lambda: Hedge(strict="yes"), ValueError, ["strict", "'yes'"], id="strict-str"),
    pytest.param(lambda: Hedge(seed=-1), ValueError, ["seed", "-1"], id="seed-negative"),
    pytest.param(lambda: Hedge(routing_bias={"MAYBE": {"importance": 1.0}}), ValueError, ["routing_bias", "'MAYBE'"],
                 id="bias-unknown-action"),
    pytest.param(lambda: Hedge(routing_bias={"STORE": {"importance": "high"}}), ValueError,
                 ["routing_bias['STORE']['importance']", "'high'"], id="bias-weight-str"),
    pytest.param(lambda: Hedge(routing_bias={"STORE": 1.0}), TypeError, ["routing_bias['STORE']"], id="bias-not-dict"),
    pytest.param(lambda: Hedge().update([NAN, 0, 0]), ValueError, ["rewards", "finite"], id="rewards-NaN"),
    pytest.param(lambda: Hedge().update([1.0, 0.0]), ValueError, ["rewards", "3 entries", "got 2"], id="rewards-short"),
    pytest.param(lambda: Hedge().update({"STORE": 1.0}), ValueError, ["missing", "CORRECT"], id="rewards-missing"),
    pytest.param(lambda: Hedge().update({"MAYBE": 1, "STORE": 1, "REJECT": 0, "CORRECT": 0}), ValueError,
                 ["unknown action", "MAYBE"], id="rewards-unknown-action"),
    pytest.param(lambda: Hedge().update("1,0,0"), TypeError, ["rewards", "str"], id="rewards-str"),
    pytest.param(lambda: Hedge().update(None), TypeError, ["rewards", "NoneType"], id="rewards-None"),
    pytest.param(lambda: Hedge().update(["a", 0, 0]), TypeError, ["rewards", "numbers"], id="rewards-not-numbers"),
    pytest.param(lambda: Hedge(routing_bias={"STORE": {"importance": 1.0}}).act({"importance": NAN}), ValueError,
                 ["features['importance']", "nan"], id="features-NaN"),
    pytest.param(lambda: Hedge(routing_bias={"STORE": {"importance": 1.0}}).act({}), ValueError,
                 ["features", "'importance'"], id="features-missing"),
    pytest.param(lambda: Exp3(gamma=0), ValueError, ["gamma", "0"], id="gamma-zero"),
    pytest.param(lambda: Exp3(gamma=1.5), ValueError, ["gamma", "1.5"], id="gamma-above-one"),
    pytest.param(lambda: Exp3().update(1.0), ValueError, ["action must be given"], id="exp3-update-without-act"),
    pytest.param(lambda: Exp3().update(1.0, action="MAYBE"), ValueError, ["action", "'MAYBE'"],
                 id="exp3-unknown-action"),
    pytest.param(lambda: Exp3().update("a lot", action="STORE"), TypeError, ["reward", "a lot"], id="exp3-reward-str"),
    pytest.param(lambda: Exp3().update(INF, action="STORE"), ValueError, ["reward", "finite"], id="exp3-reward-inf"),
    pytest.param(lambda: hedge_eta(3, 0), ValueError, ["horizon", "0"], id="hedge_eta-horizon"),
    pytest.param(lambda: hedge_eta(1, 10), ValueError, ["n_actions", "1"], id="hedge_eta-one-action"),
]


@pytest.mark.parametrize("call,exc,needles", POLICY_CASES)
def test_policy_arguments(call, exc, needles):
    expect_error(call, exc, needles)


@pytest.fixture(scope="module")
def saved_policy(tmp_path_factory):
    "The JSON state of an Exp3 policy that has played 20 rounds."
    policy = Exp3(seed=3)
    for i in range(20):
        policy.act()
        policy.update(float(i % 2))
    path = policy.save(tmp_path_factory.mktemp("policy") / "policy.json")
    return json.loads(path.read_text())


def _with(field, value):
    return lambda state: json.dumps({**state, field: value})


def _without(field):
    return lambda state: json.dumps({k: v for k, v in state.items() if k != field})


@pytest.mark.parametrize("make,needles", [
    pytest.param(lambda s: json.dumps(s)[:100], ["corrupt or truncated"], id="truncated"),
    pytest.param(lambda s: "", ["corrupt or truncated"], id="empty-file"),
    pytest.param(lambda s: "[1, 2, 3]", ["not an object"], id="json-list"),
    pytest.param(_without("logw"), ["missing field(s) ['logw']"], id="missing-logw"),
    pytest.param(_with("kind", "pickle"), ["kind", "'pickle'"], id="kind-unknown"),
    pytest.param(_with("logw", [NAN, 0.0, 0.0]), ["logw", "finite"], id="logw-NaN"),
    pytest.param(_with("logw", [0.0, 1.0]), ["logw", "3 finite numbers"], id="logw-short"),
    pytest.param(_with("logw", ["a", "b", "c"]), ["logw"], id="logw-strings"),
    pytest.param(_with("cum_rewards", [1e400, 0, 0]), ["cum_rewards"], id="cum_rewards-inf"),
    pytest.param(_with("cum_expected", None), ["cum_expected", "None"], id="cum_expected-None"),
    pytest.param(_with("t", -1), ["t must be", "-1"], id="t-negative"),
    pytest.param(_with("epoch_start", 10**6), ["epoch_start", "1000000"], id="epoch_start-after-t"),
    pytest.param(_with("epoch_len", 0), ["epoch_len", "0"], id="epoch_len-zero"),
    pytest.param(_with("eta", -0.5), ["eta", "-0.5"], id="eta-tampered"),
    pytest.param(_with("gamma", 7), ["gamma", "7"], id="gamma-tampered"),
    pytest.param(_with("actions", ["STORE", "STORE"]), ["actions", "distinct"], id="actions-tampered"),
    pytest.param(_with("actions", ["REJECT", "STORE", "CORRECT", "EXTRA"]), ["logw", "4 finite numbers"],
                 id="actions-added"),
    pytest.param(_with("strict", "no"), ["strict", "'no'"], id="strict-str"),
    pytest.param(_with("history", []), ["history"], id="history-not-dict"),
    pytest.param(_with("rng", {"state": 1}), ["rng", "random generator state"], id="rng-invalid"),
])
def test_tampered_policy_files(tmp_path, saved_policy, make, needles):
    path = tmp_path / "policy.json"
    path.write_text(make(saved_policy))
    content = path.read_bytes()
    expect_error(lambda: Hedge.load(path), ValueError, [str(path), *needles])
    assert path.read_bytes() == content                        # a refused file is left as it was, for inspection


def test_policy_file_not_utf8_or_missing(tmp_path):
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00{")
    expect_error(lambda: Hedge.load(tmp_path / "binary.json"), ValueError, ["binary.json", "corrupt"])
    expect_error(lambda: Hedge.load(tmp_path / "absent.json"), FileNotFoundError, ["absent.json", "does not exist"])


# ------------------------------------------------------------------------------------------------ the wake gate
GATE_CASES = [
    pytest.param(lambda m: WakeGate(m.uri), TypeError, ["memory must be a Hippocampus", "str"],
                 id="memory-not-a-store"),
    pytest.param(lambda m: WakeGate(m, trust={"rumour": 2}), ValueError, ["trust of 'rumour'", "2"],
                 id="trust-above-one"),
    pytest.param(lambda m: WakeGate(m, trust={"rumour": True}), ValueError, ["trust of 'rumour'", "True"],
                 id="trust-bool"),
    pytest.param(lambda m: WakeGate(m, trust=[("rumour", 0.2)]), TypeError, ["trust", "list"], id="trust-list"),
    pytest.param(lambda m: WakeGate(m, default_trust=NAN), ValueError, ["default_trust", "nan"],
                 id="default_trust-NaN"),
    pytest.param(lambda m: WakeGate(m, conflict_threshold=1.5), ValueError, ["conflict_threshold", "1.5"],
                 id="conflict_threshold-above-one"),
    pytest.param(lambda m: WakeGate(m, min_importance=NAN), ValueError, ["min_importance", "nan"],
                 id="min_importance-NaN"),
    pytest.param(lambda m: WakeGate(m, novelty_threshold="0.3"), ValueError, ["novelty_threshold", "'0.3'"],
                 id="novelty_threshold-str"),
    pytest.param(lambda m: WakeGate(m, top_k=0), ValueError, ["top_k", "0"], id="top_k-zero"),
    pytest.param(lambda m: WakeGate(m, policy="hedge"), TypeError, ["policy", "str"], id="policy-str"),
    pytest.param(lambda m: WakeGate(m, policy=Hedge(actions=("YES", "NO"))), ValueError, ["policy actions", "YES"],
                 id="policy-wrong-actions"),
    pytest.param(lambda m: WakeGate(m).process([]), ValueError, ["candidates", "[]"], id="process-empty-list"),
    pytest.param(lambda m: WakeGate(m).process(None), ValueError, ["candidates", "None"], id="process-None"),
    pytest.param(lambda m: WakeGate(m).process(["A fine memory.", ""]), ValueError, ["candidates[1]", "''"],
                 id="process-empty-text"),
    pytest.param(lambda m: WakeGate(m).process(["A fine memory.", 3]), TypeError, ["candidates[1]", "int"],
                 id="process-int"),
    pytest.param(lambda m: WakeGate(m).process(["A fine memory.", "\x00\x01 \n"]), ValueError, ["candidates[1]"],
                 id="process-controls-only"),
    pytest.param(lambda m: WakeGate(m).process(["A fine memory.", TEN_MB]), ValueError, ["candidates[1]", "max_chars"],
                 id="process-10MB"),
    pytest.param(lambda m: WakeGate(m).process(["A fine memory."], kind="dream"), ValueError, ["kind", "'dream'"],
                 id="process-kind"),
    pytest.param(lambda m: WakeGate(m).process([MemoryRecord("Bob's cat.", namespace="bob")]), ValueError,
                 ["namespace", "'bob'"], id="process-other-namespace"),
]


@pytest.mark.parametrize("call,exc,needles", GATE_CASES)
def test_gate_refuses_and_keeps_what_it_had(unchanged, call, exc, needles):
    expect_error(lambda: call(unchanged), exc, needles)


# ------------------------------------------------------------------------------------------------ teachers
TEACHER_CASES = [
    pytest.param(dict(base_url="file:///etc/passwd"), ValueError, ["base_url", "file:///etc/passwd"], id="url-file"),
    pytest.param(dict(base_url="localhost:11434/v1"), ValueError, ["base_url", "localhost:11434"], id="url-no-scheme"),
    pytest.param(dict(base_url="http://exa mple.com/v1"), ValueError, ["base_url"], id="url-space"),
    pytest.param(dict(base_url=5), TypeError, ["base_url", "int"], id="url-int"),
    pytest.param(dict(model="\x00"), ValueError, ["model"], id="model-NUL"),
    pytest.param(dict(model=7), TypeError, ["model", "int"], id="model-int"),
    pytest.param(dict(timeout=0), ValueError, ["timeout", "0"], id="timeout-zero"),
    pytest.param(dict(timeout=NAN), ValueError, ["timeout", "nan"], id="timeout-NaN"),
    pytest.param(dict(retries=0), ValueError, ["retries", "0"], id="retries-zero"),
    pytest.param(dict(retries=True), ValueError, ["retries", "True"], id="retries-bool"),
    pytest.param(dict(backoff=-1), ValueError, ["backoff", "-1"], id="backoff-negative"),
    pytest.param(dict(min_interval=INF), ValueError, ["min_interval", "inf"], id="min_interval-inf"),
    pytest.param(dict(n=0), ValueError, ["n must be", "0"], id="n-zero"),
    pytest.param(dict(cache=5), TypeError, ["cache", "int"], id="cache-int"),
]


@pytest.mark.parametrize("kwargs,exc,needles", TEACHER_CASES)
def test_http_teacher_config(kwargs, exc, needles):
    config = {"base_url": "http://127.0.0.1:9/v1", "model": "m", "cache": False, **kwargs}
    expect_error(lambda: HTTPTeacher(**config), exc, needles)


def test_api_key_errors_never_show_the_key():
    secret = "sk-secret-123\r\nX-Injected: 1"
    message = expect_error(lambda: HTTPTeacher("http://127.0.0.1:9/v1", model="m", api_key=secret, cache=False),
                           ValueError, ["api_key"])
    assert "sk-secret" not in message


def test_teacher_inputs(tiny):
    model, tok = tiny
    for call, exc, needles in [
        (lambda: TemplateTeacher().generate(None), TypeError, ["memory must be a string or a MemoryRecord"]),
        (lambda: TemplateTeacher().generate(""), ValueError, ["memory", "''"]),
        (lambda: TemplateTeacher().generate("\x00"), ValueError, ["memory"]),
        (lambda: TemplateTeacher().probes(42), TypeError, ["memory", "int"]),
        (lambda: qa_pairs("Corvin Ostrik was born in Lisbon.", fact="born_in"), TypeError, ["fact", "str"]),
        (lambda: LMTeacher(model, tok, n=0), ValueError, ["n must be", "0"]),
        (lambda: LMTeacher(model, tok, max_new_tokens=2.5), ValueError, ["max_new_tokens", "2.5"]),
    ]:
        expect_error(call, exc, needles)
