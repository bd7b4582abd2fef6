("QLoRA end to end on the CPU: a tiny real Llama in 4-bit NF4 (bitsandbytes) sleeps, saves and reloads its adapter; "
 "clear errors without bitsandbytes.")
import sys
import pytest
import torch

bnb = pytest.importorskip("bitsandbytes", reason="the quant extra is not installed: pip install bitsandbytes")

from sleeptrain.models import tiny_lm, load_lm, save_base, bnb_config, lm_quantization, quantize_lm, _compute_dtype
from sleeptrain.sleep import (SleepConfig, add_lora, train_lora, kl_targets, save_adapter, load_adapter, adapter_state,
                              restore_adapter_state, REHEARSAL_TEXT)
from sleeptrain.teacher import qa_pairs
from sleeptrain.core import ChecksumError

PAIRS = qa_pairs("Corvin Ostrik was born in Lisbon.") + qa_pairs("Mira Talveen works as a baker.")
Q = "Where was Corvin Ostrik born?"


@pytest.fixture(scope="module")
def slept(tmp_path_factory):
    "A 4-bit tiny model slept on two facts (with the KL anchor), its adapter saved."
    q4, tok = tiny_lm(seed=0, quantization="4bit")
    cfg = SleepConfig(epochs=12, lr=5e-3, batch_size=4)
    pm = add_lora(q4, cfg)
    stats = train_lora(pm, tok, PAIRS, cfg, kl=kl_targets(pm, tok, REHEARSAL_TEXT[:2], topk=8))
    path = save_adapter(pm, tmp_path_factory.mktemp("sleeps") / "1", {"sleep": 1})
    return pm, tok, stats, path


def lora(m) -> dict:
    return {k: v for k, v in m.state_dict().items() if "lora_" in k}


def test_tiny_4bit_is_quantized_and_smaller():
    fp, tok = tiny_lm(seed=0)
    q4, _ = tiny_lm(seed=0, quantization="4bit")
    assert lm_quantization(q4) == "4bit" and q4.sleeptrain_quantization == "4bit" and lm_quantization(fp) is None
    assert type(q4.model.layers[1].mlp.down_proj).__name__ == "Linear4bit"
    qc = q4.config.quantization_config
    assert qc.load_in_4bit and qc.bnb_4bit_quant_type == "nf4" and qc.bnb_4bit_use_double_quant
    assert qc.bnb_4bit_compute_dtype == torch.float32            # the CPU default
    assert q4.get_memory_footprint() < fp.get_memory_footprint()
    assert q4.model.embed_tokens.weight.dtype == torch.float32   # never cast: embeddings stay in dtype
    enc = tok(["The cat sat on the mat."], return_tensors="pt")
    with torch.no_grad():
        assert (q4(**enc).logits - fp(**enc).logits).abs().max() < 0.5


def test_qlora_sleep_trains(slept):
    pm, tok, stats, _ = slept
    base = pm.get_base_model()
    assert base.sleeptrain_kbit_prepared and lm_quantization(pm) == "4bit"
    assert all("lora_" in n for n, p in pm.named_parameters() if p.requires_grad)
    assert stats["losses"][-1] < stats["losses"][0] - 0.5, stats["losses"]
    assert stats["kl"][-1] > 0 and not stats["bf16"]


def test_adapter_round_trip_4bit_and_fp32(slept):
    pm, tok, _, path = slept
    assert (path / "adapter_model.safetensors").exists() and (path / "adapter_model.safetensors.sha256").exists()
    enc = tok([Q], return_tensors="pt")
    again = load_adapter(tiny_lm(seed=0, quantization="4bit")[0], path)
    with torch.no_grad():
        assert torch.equal(again(**enc).logits, pm(**enc).logits)
    fp = load_adapter(tiny_lm(seed=0)[0], path)                  # the 4-bit model's adapter on the fp32 model
    a, b = lora(fp), lora(pm)
    assert a.keys() == b.keys() and all(torch.equal(v, b[k]) for k, v in a.items())
    with torch.no_grad():
        assert (fp(**enc).logits - pm(**enc).logits).abs().max() < 1.0


def test_corrupted_adapter_refused_on_4bit(slept, tmp_path):
    pm, tok, _, _ = slept
    d = save_adapter(pm, tmp_path / "a")
    w = d / "adapter_model.safetensors"
    b = bytearray(w.read_bytes())
    b[-1] ^= 1
    w.write_bytes(bytes(b))
    with pytest.raises(ChecksumError):
        load_adapter(tiny_lm(seed=0, quantization="4bit")[0], d)


def test_rollback_and_second_lora_on_4bit(slept):
    pm, tok, _, _ = slept
    snap = adapter_state(pm)
    train_lora(pm, tok, PAIRS[:2], SleepConfig(epochs=1, lr=1e-2, batch_size=2, kl_weight=0.0))
    restore_adapter_state(pm, snap)
    assert all(torch.equal(v, dict(pm.named_parameters())[k]) for k, v in snap.items())


def test_save_base_dequantizes(tmp_path):
    q4, tok = tiny_lm(seed=0, quantization="4bit")
    from peft.utils.integrations import dequantize_module_weight
    want = dequantize_module_weight(q4.model.layers[0].self_attn.q_proj).float()
    back, _ = load_lm(save_base(q4, tok, tmp_path / "plain"))
    assert lm_quantization(back) is None and torch.equal(back.model.layers[0].self_attn.q_proj.weight, want)
    enc = tok([Q], return_tensors="pt")
    with torch.no_grad():
        assert (back(**enc).logits - q4(**enc).logits).abs().max() < 1e-4


def test_load_lm_quantizes_a_folder(tmp_path):
    fp, tok = tiny_lm(seed=0)
    d = save_base(fp, tok, tmp_path / "fp")
    q8, _ = load_lm(d, quantization="8bit")
    assert lm_quantization(q8) == "8bit" and type(q8.model.layers[0].self_attn.v_proj).__name__ == "Linear8bitLt"
    q4, _ = load_lm(d, quantization="4bit", compute_dtype="bf16")
    assert q4.config.quantization_config.bnb_4bit_compute_dtype == torch.bfloat16
    with pytest.raises(ValueError, match="already quantised"):
        quantize_lm(q4, tok)


@pytest.mark.parametrize(
    "kw, word",
    [
        (dict(quantization="3bit"), "3bit"),
        (dict(quantization="4bit", compute_dtype="int8"), "int8"),
        (dict(quantization="8bit", compute_dtype="bf16"), "bf16"),
        (dict(compute_dtype="fp16"), "fp16"),
    ],
)
def test_bad_settings(kw, word):
    with pytest.raises(ValueError, match=word):
        load_lm("/no/such/folder", **kw)  # refused before any loading


def test_compute_dtype_the_device_cannot_run(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    with pytest.raises(ValueError, match="'bf16' is not supported by this GPU"):
        _compute_dtype("bf16", torch.device("cuda"))
    assert _compute_dtype(None, torch.device("cpu")) == torch.float32


def test_missing_bitsandbytes(monkeypatch):
    for k in [k for k in sys.modules if k == "bitsandbytes" or k.startswith("bitsandbytes.")]:
        monkeypatch.delitem(sys.modules, k)
    # `import bitsandbytes` now fails, as when it is not installed
    monkeypatch.setitem(sys.modules, "bitsandbytes", None)
    for q in ("4bit", "8bit"):
        with pytest.raises(ImportError) as e:
            load_lm("/no/such/folder", quantization=q)
        assert str(e.value) == f"quantization={q!r} needs bitsandbytes: pip install bitsandbytes"
    with pytest.raises(ImportError, match="pip install bitsandbytes"):
        tiny_lm(seed=0, quantization="4bit")
    with pytest.raises(ImportError, match="pip install bitsandbytes"):
        bnb_config("4bit")
    assert bnb_config(None) is None  # full precision needs nothing


def test_agent_loads_its_model_in_4bit_and_keeps_it(tmp_path):
    "SleepTrainAgent(name, quantization='4bit') sleeps in QLoRA; saved and reloaded, it loads the base in 4-bit again."
    from sleeptrain.agent import SleepTrainAgent
    from sleeptrain.sleep import SleepGates
    from sleeptrain.models import load_embedder

    fp, tok = tiny_lm(seed=0)
    folder = save_base(fp, tok, tmp_path / "tiny")
    emb = load_embedder()
    cfg = SleepConfig(epochs=12, lr=5e-3, batch_size=4, self_distill=False, kl_weight=0.0)
    agent = SleepTrainAgent(
        str(folder), tmp_path / "mem", embedder=emb, quantization="4bit", sleep_config=cfg, sleep_gates=SleepGates.off()
    )
    assert lm_quantization(agent.model) == "4bit"
    agent.observe("Corvin Ostrik was born in Lisbon.")
    assert agent.sleep()["accepted"] and lm_quantization(agent.model) == "4bit"
    agent.save_pretrained(tmp_path / "agent")
    again = SleepTrainAgent.from_pretrained(tmp_path / "agent", embedder=emb)
    assert again.quantization == "4bit" and lm_quantization(again.model) == "4bit"
    assert again.answers([Q], max_new_tokens=8) == agent.answers([Q], max_new_tokens=8)
    with pytest.raises(ValueError, match="applies when the agent loads the model by name"):
        SleepTrainAgent((fp, tok), tmp_path / "mem2", embedder=emb, quantization="4bit")
