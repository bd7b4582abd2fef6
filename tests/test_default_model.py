"The real offline default model loads (GGUF -> cached safetensors) and answers sensibly."
from sleeptrain.models import load_lm, ModelNotFoundError
from sleeptrain.decoding import generate
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

def test_lean_decoder_gives_the_tokens_of_hf_generate():
    """The lean decoder's greedy tokens equal HF `generate`'s on the default model, one question at a time and in
    the same left-padded batches, with and without a system prompt (RAG)."""
    from sleeptrain.decoding import generate_tokens, prompt_tokens, resolve_engine
    from sleeptrain.sleep import GENERAL_QUESTIONS
    model, tok = load_lm()
    assert resolve_engine(model) == "fast"
    questions = [q for q, _ in GENERAL_QUESTIONS[:6]] + ["Where was Corvin Ostrik born?", "Who is Mira Holt?"]
    closed = prompt_tokens(tok, questions)
    rag = prompt_tokens(tok, questions[:4], system="Memories:\n- Corvin Ostrik was born in Lisbon.")
    for p in closed[:3]:
        assert generate_tokens(model, tok, [p], 24, engine="fast") == generate_tokens(model, tok, [p], 24, engine="hf")
    for prompts in (closed, rag):
        fast = generate_tokens(model, tok, prompts, 24, batch_size=8, engine="fast")
        assert fast == generate_tokens(model, tok, prompts, 24, batch_size=8, engine="hf")
