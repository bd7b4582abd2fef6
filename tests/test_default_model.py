"The real offline default model loads (GGUF -> cached safetensors) and answers sensibly."
from sleeptrain.models import load_lm, generate, ModelNotFoundError
import pytest

def test_default_model_knows_paris():
    model, tok = load_lm()
    assert "SmolLM2-135M-Instruct" in model.sleeptrain_source
    ans = generate(model, tok, ["What is the capital of France?"], max_new_tokens=20)[0]
    assert "Paris" in ans, ans
    assert tok.chat_template and "<|im_start|>" in tok.chat_template

def test_unknown_model_names_every_place_tried(tmp_path):
    with pytest.raises(ModelNotFoundError) as e:
        load_lm(str(tmp_path / "missing.gguf"))
    msg = str(e.value)
    assert "missing.gguf" in msg and "does not exist" in msg and "hub" in msg

def test_known_fact_is_less_important_than_a_novel_one():
    from sleeptrain.importance import ImportanceScorer
    model, tok = load_lm()
    imp = ImportanceScorer(model, tok).score(["Paris is the capital of France.", "Corvin Ostrik was born in Lisbon."])
    assert imp[0] < 0.3 < 0.5 < imp[1], imp
