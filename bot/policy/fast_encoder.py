"""The fine-tuned encoders as they answer: exported once to ONNX, weights quantised to 8 bits, run by ONNX Runtime.

Training needs torch; answering does not. A fine-tuned MiniLM folder (bot.policy.tuned, bot.safeguarding.model)
gets `encoder.fused.onnx` (the same network with its mean pooling and normalisation, float32, its operators fused)
and `encoder.int8.onnx` (the weights of its feed-forward matrix products quantised per channel) beside its weights,
written by `policybot index` (part of `make setup`) or by the first process that finds them missing. A process that
answers then loads ONNX Runtime and the `tokenizers` library only, not torch: measured on this machine, one short
question is encoded in 3.4 ms (8 bits) or 4.7 ms (float32) on one thread instead of 10.8 ms, and the action server
holds about 250 MB less.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

PRECISIONS = ("int8", "float32")
FILES = {"float32": "encoder.fused.onnx", "int8": "encoder.int8.onnx"}
SUPERSEDED = ("encoder.onnx",)  # the float32 file before its operators were fused
DIMENSIONS = 384
BATCH = 32
_export_lock = threading.Lock()


def onnx_file(folder: Path, precision: str) -> Path:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
    return folder / FILES[precision]


def export(folder: Path) -> None:
    """Write both ONNX files of the fine-tuned encoder in `folder`, each beside it first and then moved into place,
    so a process never loads a half-written file. Deterministic: the same weights give the same files."""
    from bot.policy.embeddings import offline_torch

    offline_torch()  # the Hugging Face libraries told to stay offline first
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel, AutoTokenizer

    class Pooled(torch.nn.Module):
        """The encoder with the packaged model's own pooling: the mean of the token vectors, unit length."""

        def __init__(self, encoder) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=-1)

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    # Attention written out as matrix products ("eager"), the form ONNX Runtime's BERT optimiser recognises and fuses
    model = Pooled(AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval())
    sample = tokenizer(["a question about the policy", "a"], padding=True, return_tensors="pt")
    mine = f".{os.getpid()}.partial"
    plain, quantised = onnx_file(folder, "float32"), onnx_file(folder, "int8")
    with _export_lock, torch.no_grad(), quiet():
        plain_partial = folder / f"encoder.unfused{mine}"
        torch.onnx.export(model, (sample["input_ids"], sample["attention_mask"]), str(plain_partial),
                          input_names=["input_ids", "attention_mask"], output_names=["vector"],
                          dynamic_axes={"input_ids": {0: "texts", 1: "tokens"},
                                        "attention_mask": {0: "texts", 1: "tokens"}, "vector": {0: "texts"}},
                          opset_version=17, dynamo=False)
        quantised_partial = quantised.with_name(quantised.name + mine)
        quantize_dynamic(str(plain_partial), str(quantised_partial), weight_type=QuantType.QInt8, per_channel=True,
                         nodes_to_quantize=feed_forward_products(plain_partial))
        quantised_partial.replace(quantised)
        fused_partial = plain.with_name(plain.name + mine)
        fuse(plain_partial, fused_partial, model.encoder.config)
        plain_partial.unlink()
        fused_partial.replace(plain)  # last: its presence says both are there
        for name in SUPERSEDED:
            (folder / name).unlink(missing_ok=True)
    log.info("exported the encoder in %s to ONNX (float32 and int8)", folder)


def fuse(source: Path, target: Path, config) -> None:
    """The float32 graph with each layer's attention, its layer normalisations and its GELU fused into single
    operators (ONNX Runtime's BERT optimiser): the same arithmetic in fewer, larger steps, so one question is
    encoded in about 3.3 ms on two threads instead of 3.9 ms (5 ms on one). The vectors agree with the unfused
    graph's to a cosine of at least 0.999999 (tests/policy/test_tuned.py)."""
    from onnxruntime.transformers.optimizer import optimize_model

    fused = optimize_model(str(source), model_type="bert", num_heads=config.num_attention_heads,
                           hidden_size=config.hidden_size, opt_level=1, use_gpu=False)
    fused.save_model_to_file(str(target))


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """The exporter's and the quantiser's advice (tracer warnings, "consider pre-processing") kept out of set-up's
    output: the export is checked by its own tests (tests/policy/test_tuned.py), not by reading warnings."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


def feed_forward_products(path: Path) -> list[str]:
    """The matrix products of each layer's feed-forward part: what the 8-bit file quantises. Chosen on the team's
    own question sets against the float32 file: feed-forward only scored within one question of float32 on each
    set (two questions better over all of them) at 3.4 ms a question; every product in 8 bits lost five questions
    over the sets, at 1.7 ms; float32 takes 4.7 ms."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    return [n.name for n in graph.node if n.op_type == "MatMul" and "/attention/" not in n.name
            and ("/intermediate/" in n.name or "/output/dense/" in n.name)]


def ensure_exported(folder: Path) -> None:
    if not (onnx_file(folder, "float32").exists() and onnx_file(folder, "int8").exists()):
        log.info("exporting the encoder in %s to ONNX (once)", folder)
        export(folder)


class OnnxEncoder:
    """Unit sentence vectors from an exported encoder folder (see `export`), without torch."""

    def __init__(self, folder: Path, max_tokens: int, precision: str = "float32", name: str | None = None,
                 threads: int = 1):
        import onnxruntime
        from tokenizers import Tokenizer

        path = onnx_file(folder, precision)
        # Named by the file's own digest: vectors cached under this name were made by exactly these weights.
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        self.name = f"{name or folder.name}-onnx-{precision}-{digest}"
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        pad = self.tokenizer.token_to_id("[PAD]")
        self.tokenizer.enable_padding(pad_id=0 if pad is None else pad, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        # `threads` share one text's matrix products (ENCODER_THREADS for retrieval). They spin between the steps of
        # one text (3.4 ms a question on two threads; 4.0 ms when they sleep between steps) and stop spinning when
        # it is done, so between questions they take no CPU from the other processes (7 ms of CPU a question either
        # way; 11.7 ms when left spinning).
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "1")
        options.add_session_config_entry("session.force_spinning_stop", "1")
        options.log_severity_level = 3
        # No memory arena: ONNX Runtime's arena keeps the largest batch's buffers for the life of the process (about
        # 130 MB after encoding the corpus or the prototypes in batches); freed buffers go back to the allocator.
        options.enable_cpu_mem_arena = False
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._lock = threading.Lock()  # the tokenizer's padding settings are shared state

    def encode(self, texts: list[str]) -> np.ndarray:
        rows = []
        for start in range(0, len(texts), BATCH):
            with self._lock:
                encoded = self.tokenizer.encode_batch(texts[start:start + BATCH])
            ids = np.asarray([e.ids for e in encoded], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in encoded], dtype=np.int64)
            rows.append(self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0])
        return np.vstack(rows).astype(np.float32) if rows else np.zeros((0, DIMENSIONS), dtype=np.float32)


def load(folder: Path, max_tokens: int, precision: str, name: str | None = None) -> OnnxEncoder:
    """The encoder in `folder` as it answers, exported first when its ONNX files are missing."""
    ensure_exported(folder)
    return OnnxEncoder(folder, max_tokens, precision, name)
