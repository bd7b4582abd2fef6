"Hippocampus reliability and security: crash safety, concurrent readers, namespace isolation, bad input."
import math, signal, subprocess, sys, textwrap, time
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

def test_sigkill_mid_batch_keeps_every_acknowledged_batch(tmp_path):
    p = start_writer(tmp_path / "db", 2000)
    acked = []
    for line in p.stdout:
        acked.append(int(line.split()[1]))
        if len(acked) == 4:
            time.sleep(0.05)                 # the next batch is being written
            p.send_signal(signal.SIGKILL); break
    p.wait(timeout=30)
    mem = Hippocampus(tmp_path / "db", embedder=False, namespace="w")      # opens
    n = mem._table.count_rows()
    assert n % 2000 == 0 and n >= 4 * 2000                                  # whole batches only
    for b in acked:
        assert mem.get(MemoryRecord(f"batch {b} item 1999", namespace="w").id) is not None
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
        p.kill(); p.wait(timeout=30)
    assert counts == sorted(counts) and counts[-1] > counts[0]             # saw the writer's progress, never went back

HOSTILE = ["x' OR '1'='1", "x' OR 1=1 --", "'; DROP TABLE memories; --", "a\\' OR namespace != 'a", "\" OR \"\"=\"", "%", "_", "ns0' UNION SELECT * FROM memories --"]

def test_namespace_isolation_under_hostile_filters(tmp_path):
    names = [f"ns{i}" for i in range(6)] + HOSTILE
    for i, ns in enumerate(names):
        Hippocampus(tmp_path / "db", embedder=False, namespace=ns).upsert(
            [MemoryRecord(f"memory {j} of {ns}", namespace=ns, kind="fact") for j in range(3)], embeddings=vecs(3, seed=i))
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

@pytest.mark.parametrize("make,exc,field", [
    (lambda: ["good one", ""], ValueError, "records[1]"),
    (lambda: ["good one", "x" * 8001], ValueError, "max_chars"),
    (lambda: ["good one", 3.5], TypeError, "records[1]"),
    (lambda: ["good one", None], TypeError, "records[1]"),
])
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
        with pytest.raises(ValueError, match="importance"): MemoryRecord("x", importance=bad)
    with pytest.raises(ValueError, match="embedding dimension"): mem.upsert([MemoryRecord("y", namespace="default")], embeddings=np.ones((1, 5)))
    with pytest.raises(ValueError, match="embeddings must be finite"): mem.upsert([MemoryRecord("y", namespace="default")], embeddings=np.full((1, DIM), np.nan))
    with pytest.raises(KeyError, match="old_id"): mem.supersede("unknown-id", MemoryRecord("z", namespace="default"), embedding=vecs(1)[0])
    with pytest.raises(ValueError, match="namespace"): mem.upsert([MemoryRecord("y", namespace="other")], embeddings=vecs(1))
    assert mem.version == v and [r.text for r in mem.records()] == ["kept"]
