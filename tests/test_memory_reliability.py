"Hippocampus reliability and security: crash safety, concurrent readers, namespace isolation, bad input."
import json, math, signal, subprocess, sys, textwrap, threading, time
from pathlib import Path
import numpy as np
import pytest
from sleeptrain.schema import MemoryRecord
from sleeptrain.memory import Hippocampus

DIM = 8

def vecs(n, seed=0):
    v = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)

WRITER = textwrap.dedent("""
    import sys, numpy as np
    from sleeptrain.schema import MemoryRecord
    from sleeptrain.memory import Hippocampus
    uri, batch = sys.argv[1], int(sys.argv[2])
    mem = Hippocampus(uri, embedder=False, namespace="w")
    rng = np.random.default_rng(0)
    for b in range(10_000):
        recs = [MemoryRecord(f"batch {b} item {i}", namespace="w") for i in range(batch)]
        v = rng.standard_normal((batch, 8)).astype(np.float32)
        mem.upsert(recs, embeddings=v / np.linalg.norm(v, axis=1, keepdims=True))
        print(f"ack {b}", flush=True)
""")

def start_writer(uri, batch):
    return subprocess.Popen([sys.executable, "-c", WRITER, str(uri), str(batch)], stdout=subprocess.PIPE, text=True)

# A writer that acknowledges `torn` batches of `batch` records, then writes a batch of `torn_size` records that it
# hands to LanceDB (an append or a merge_insert) in chunks of 500 rows; as soon as a data file of that batch is on
# disk it says so ("writing {json}") and keeps streaming, slowly (0.1 s a chunk, seconds in all), so a SIGKILL sent on
# that line lands mid-write.
TORN_WRITER = textwrap.dedent("""
    import json, os, sys, time, numpy as np, pyarrow as pa
    import lancedb.merge, lancedb.table
    from sleeptrain.schema import MemoryRecord
    from sleeptrain.memory import Hippocampus
    uri, batch, torn, torn_size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

    def files():
        return {os.path.join(d, f) for d, _, names in os.walk(uri) for f in names}

    def streamed(real):
        "`real` (an append or a merge_insert) fed `data` as a slow stream that says when its first file is on disk."
        def write(target, data, *args, **kwargs):
            before = files()
            def chunks():
                announced = False
                for chunk in data.to_batches(max_chunksize=500):
                    yield chunk
                    if announced:
                        time.sleep(0.1)
                    elif files() - before:
                        print("writing", json.dumps({"batch": b, "new_files": sorted(files() - before)}), flush=True)
                        announced = True
            return real(target, pa.RecordBatchReader.from_batches(data.schema, chunks()), *args, **kwargs)
        return write

    mem = Hippocampus(uri, embedder=False, namespace="w")
    rng = np.random.default_rng(0)
    for b in range(torn + 1):
        n = torn_size if b == torn else batch
        recs = [MemoryRecord(f"batch {b} item {i}", namespace="w") for i in range(n)]
        v = rng.standard_normal((n, 8)).astype(np.float32)
        if b == torn:                                   # new ids: appended, but patch both write paths
            lancedb.merge.LanceMergeInsertBuilder.execute = streamed(lancedb.merge.LanceMergeInsertBuilder.execute)
            lancedb.table.LanceTable.add = streamed(lancedb.table.LanceTable.add)
        mem.upsert(recs, embeddings=v / np.linalg.norm(v, axis=1, keepdims=True))
        print(f"ack {b}", flush=True)
""")

def test_sigkill_mid_write_keeps_every_acknowledged_batch(tmp_path):
    uri, batch, torn, torn_size = tmp_path / "db", 2000, 3, 60_000
    err_path = tmp_path / "writer.err"
    with open(err_path, "w") as err:
        p = subprocess.Popen([sys.executable, "-c", TORN_WRITER, str(uri), str(batch), str(torn), str(torn_size)],
                             stdout=subprocess.PIPE, stderr=err, text=True)
    watchdog = threading.Timer(300, p.kill)          # a hung writer fails the test instead of hanging it
    watchdog.start()
    acked, writing, alive_at_kill, on_disk_at_kill = [], None, False, False
    try:
        for line in p.stdout:
            word, rest = line.rstrip("\n").split(" ", 1)
            if word == "ack":
                acked.append(int(rest))
            elif word == "writing":
                writing = json.loads(rest)
                on_disk_at_kill = bool(writing["new_files"]) and all(Path(f).exists() for f in writing["new_files"])
                alive_at_kill = p.poll() is None
                p.send_signal(signal.SIGKILL)
                break
        p.wait(timeout=30)
        after_kill = p.stdout.read()
    finally:
        watchdog.cancel()
    # the kill landed in the middle of writing batch `torn`: its first rows were on disk, the writer was still running,
    # it died of the SIGKILL, and it never acknowledged that batch
    assert writing is not None, f"no partial write reported; acked {acked}\n{err_path.read_text()[-2000:]}"
    assert acked == list(range(torn)) and writing["batch"] == torn, (acked, writing)
    assert alive_at_kill and on_disk_at_kill, (alive_at_kill, writing)
    assert p.returncode == -signal.SIGKILL, p.returncode
    assert f"ack {torn}" not in after_kill, after_kill
    mem = Hippocampus(uri, embedder=False, namespace="w")          # opens
    expected = {MemoryRecord(f"batch {b} item {i}", namespace="w").id for b in acked for i in range(batch)}
    ids = mem._table.to_arrow().column("id").to_pylist()
    assert len(ids) == len(expected) and set(ids) == expected      # every acknowledged record, none of the torn batch
    assert all(r.text.startswith(tuple(f"batch {b} item " for b in acked)) for r in mem.records())
    logged = [json.loads(line) for line in mem.log_path.read_text().splitlines()]        # every log line whole
    assert {i for e in logged if e["op"] == "upsert" for i in e["ids"]} == expected
    assert len(mem.query_vector(vecs(1)[0], top_k=5)) == 5
    mem.upsert([MemoryRecord("after the crash", namespace="w")], embeddings=vecs(1))   # still writable
    assert mem.get(MemoryRecord("after the crash", namespace="w").id) is not None

def test_reader_keeps_working_while_a_writer_writes(tmp_path):
    uri = tmp_path / "db"
    Hippocampus(uri, embedder=False, namespace="w").upsert([MemoryRecord("seed", namespace="w")], embeddings=vecs(1))
    p = start_writer(uri, 200)
    reader = Hippocampus(uri, embedder=False, namespace="w")
    counts, t0 = [], time.time()
    try:
        while time.time() - t0 < 120 and (not counts or counts[-1] < 1 + 3 * 200):   # until 3 batches landed
            reader._table.checkout_latest()
            counts.append(reader._table.count_rows())
            assert len(reader.query_vector(vecs(1, seed=len(counts))[0], top_k=5)) == 5 or counts[-1] < 5
    finally:
        p.kill()
        p.wait(timeout=30)
    assert counts == sorted(counts) and counts[-1] > counts[0]             # saw the writer's progress, never went back

HOSTILE = [
    "x' OR '1'='1",
    "x' OR 1=1 --",
    "'; DROP TABLE memories; --",
    "a\\' OR namespace != 'a",
    "\" OR \"\"=\"",
    "%",
    "_",
    "ns0' UNION SELECT * FROM memories --",
]


def test_namespace_isolation_under_hostile_filters(tmp_path):
    names = [f"ns{i}" for i in range(6)] + ["a.b", "user@example.org", "ns-0"]
    for h in HOSTILE:  # a hostile namespace is either refused, naming the field, or stored and isolated
        try:
            Hippocampus(tmp_path / "db", embedder=False, namespace=h)
        except ValueError as e:
            assert "namespace" in str(e), e
        else:
            names.append(h)
    for i, ns in enumerate(names):
        Hippocampus(tmp_path / "db", embedder=False, namespace=ns).upsert(
            [MemoryRecord(f"memory {j} of {ns}", namespace=ns, kind="fact") for j in range(3)],
            embeddings=vecs(3, seed=i),
        )
    q = vecs(1, seed=99)[0]
    for ns in names:
        mem = Hippocampus(tmp_path / "db", embedder=False, namespace=ns)
        assert len(mem) == 3 and {r.namespace for r in mem.records()} == {ns}
        assert {r.namespace for r, _ in mem.query_vector(q, top_k=50)} == {ns}
        for h in HOSTILE:
            for field in ("kind", "text", "id"):
                assert all(r.namespace == ns for r in mem.records(**{field: h}))
                assert all(r.namespace == ns for r, _ in mem.query_vector(q, top_k=50, **{field: h}))
        assert {r.namespace for r in mem.sample_replay(100)} == {ns}


@pytest.mark.parametrize(
    "make,exc,field",
    [
        (lambda: ["good one", ""], ValueError, "records[1]"),
        (lambda: ["good one", "x" * 8001], ValueError, "max_chars"),
        (lambda: ["good one", 3.5], TypeError, "records[1]"),
        (lambda: ["good one", None], TypeError, "records[1]"),
    ],
)
def test_bad_batches_write_nothing(tmp_path, make, exc, field):
    mem = Hippocampus(tmp_path / "db", embedder=False)
    mem.upsert([MemoryRecord("kept", namespace="default")], embeddings=vecs(1))
    v = mem.version
    with pytest.raises(exc) as e:
        recs = make()
        mem.upsert(recs, embeddings=vecs(len(recs)))
    assert field in str(e.value) and mem.version == v and len(mem) == 1


def test_bad_values_name_the_field(tmp_path):
    mem = Hippocampus(tmp_path / "db", embedder=False)
    mem.upsert([MemoryRecord("kept", namespace="default")], embeddings=vecs(1))
    v = mem.version
    for bad in (math.nan, math.inf):
        with pytest.raises(ValueError, match="importance"):
            MemoryRecord("x", importance=bad)
    with pytest.raises(ValueError, match="embedding dimension"):
        mem.upsert([MemoryRecord("y", namespace="default")], embeddings=np.ones((1, 5)))
    with pytest.raises(ValueError, match="embeddings must be finite"):
        mem.upsert([MemoryRecord("y", namespace="default")], embeddings=np.full((1, DIM), np.nan))
    with pytest.raises(KeyError, match="old_id"):
        mem.supersede("unknown-id", MemoryRecord("z", namespace="default"), embedding=vecs(1)[0])
    with pytest.raises(ValueError, match="namespace"):
        mem.upsert([MemoryRecord("y", namespace="other")], embeddings=vecs(1))
    assert mem.version == v and [r.text for r in mem.records()] == ["kept"]


def test_id_index_keeps_upserts_replacing_and_the_cache_current(tmp_path, monkeypatch):
    import sleeptrain.memory as memory
    monkeypatch.setattr(memory, "ID_INDEX_ROWS", 50)              # the BTREE index on id from 50 rows (default 20,000)
    mem = Hippocampus(tmp_path / "db", embedder=False, namespace="w")
    recs = [MemoryRecord(f"memory {i}", namespace="w") for i in range(300)]
    v = vecs(300)
    for s in range(0, 300, 50):
        mem.upsert(recs[s : s + 50], embeddings=v[s : s + 50])
    assert any(list(i.columns) == ["id"] for i in mem._table.list_indices())
    logged = [json.loads(line)["op"] for line in mem.log_path.read_text().splitlines()]
    assert logged.count("index_ids") >= 2                           # built, then rebuilt as the table grew
    mem.query_vector(v[0])                                          # loads the exact-search cache
    again = [MemoryRecord(f"memory {i}", namespace="w", importance=0.9) for i in range(0, 300, 7)]
    mem.upsert(again, embeddings=vecs(len(again), seed=1))          # existing ids: replaced, not duplicated
    assert mem._table.count_rows() == 300 and len(mem) == 300
    assert mem.get(again[3].id).importance == 0.9
    assert mem._exact[0] == mem.version                             # the cache followed the write
    fresh = Hippocampus(tmp_path / "db", embedder=False, namespace="w")
    for q in vecs(5, seed=2):
        assert mem.query_vector(q, top_k=5) == fresh.query_vector(q, top_k=5)
    v_before = mem.version
    with pytest.raises(ValueError, match="embeddings must be finite"):
        mem.upsert(again[:2], embeddings=np.full((2, DIM), np.nan))
    assert mem.version == v_before and mem._table.count_rows() == 300


def test_new_ids_are_appended_and_stored_ids_merged(tmp_path, monkeypatch):
    import lancedb.merge, lancedb.table
    calls = []
    for cls, name in ((lancedb.table.LanceTable, "add"), (lancedb.merge.LanceMergeInsertBuilder, "execute")):
        real = getattr(cls, name)
        monkeypatch.setattr(cls, name, lambda self, *a, _real=real, _name=name, **k: calls.append(_name) or
                            _real(self, *a, **k))
    mem = Hippocampus(tmp_path / "db", embedder=False, namespace="w")
    recs = [MemoryRecord(f"memory {i}", namespace="w") for i in range(40)]
    for s in range(0, 40, 10):
        mem.upsert(recs[s : s + 10], embeddings=vecs(10, seed=s))
    assert calls == ["add", "add", "add"]                       # created, then three appends of new ids
    mem.upsert(recs[5:15], embeddings=vecs(10, seed=9))           # stored ids: one merge
    other = Hippocampus(tmp_path / "db", embedder=False, namespace="w")
    other.upsert([MemoryRecord("from another handle", namespace="w")], embeddings=vecs(1))
    mem.upsert([MemoryRecord("after it", namespace="w")], embeddings=vecs(1, seed=3))     # a foreign commit: merges
    mem.upsert([MemoryRecord("then again", namespace="w")], embeddings=vecs(1, seed=4))   # reloads the ids: appends
    assert calls[3:] == ["execute", "execute", "execute", "add"], calls
    assert mem._table.count_rows() == 43 and mem._ids == (mem.version, set(mem._table.to_arrow()["id"].to_pylist()))


SAME_IDS_WRITER = textwrap.dedent("""
    import sys, numpy as np
    from sleeptrain.schema import MemoryRecord
    from sleeptrain.memory import Hippocampus
    mem = Hippocampus(sys.argv[1], embedder=False, namespace="w")
    rng = np.random.default_rng(int(sys.argv[2]))
    for b in range(30) if sys.argv[2] == "1" else reversed(range(30)):      # the two meet halfway
        recs = [MemoryRecord(f"batch {b} item {i}", namespace="w") for i in range(20)]
        v = rng.standard_normal((20, 8)).astype(np.float32)
        mem.upsert(recs, embeddings=v / np.linalg.norm(v, axis=1, keepdims=True))
""")

def test_two_processes_appending_the_same_new_ids_store_each_once(tmp_path):
    uri = tmp_path / "db"
    Hippocampus(uri, embedder=False, namespace="w").upsert([MemoryRecord("seed", namespace="w")], embeddings=vecs(1))
    procs = [subprocess.Popen([sys.executable, "-c", SAME_IDS_WRITER, str(uri), str(s)]) for s in (1, 2)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    ids = Hippocampus(uri, embedder=False, namespace="w")._table.to_arrow()["id"].to_pylist()
    assert len(ids) == len(set(ids)) == 1 + 30 * 20
