"""bert_ref — an independent PyTorch BERT sentence encoder, written from the
architecture (not from earshot's C code) with torch.nn building blocks:
nn.Embedding for the three embeddings, nn.LayerNorm, and
nn.TransformerEncoderLayer in its post-LN form (norm_first=False, GELU erf,
no dropout), which is exactly a BERT layer: x = LN(x + MHA(x)),
x = LN(x + W2·gelu(W1·x)). Texts are padded into one batch and attention uses
a key padding mask, the way Hugging Face runs BERT; pooling follows
sentence-transformers (mean over real tokens, or CLS, or max), then L2.
"""
import numpy as np
import torch
import torch.nn as nn


class BertRef(nn.Module):
    def __init__(self, cfg, weights, pooling="mean"):
        super().__init__()
        H, nh = cfg["hidden_size"], cfg["num_attention_heads"]
        self.pooling = pooling
        eps = cfg["layer_norm_eps"]
        t = lambda name: torch.from_numpy(np.ascontiguousarray(weights[name]))
        self.word = nn.Embedding.from_pretrained(t("embeddings.word_embeddings.weight"))
        self.pos = nn.Embedding.from_pretrained(t("embeddings.position_embeddings.weight"))
        self.typ = nn.Embedding.from_pretrained(t("embeddings.token_type_embeddings.weight"))
        self.ln = nn.LayerNorm(H, eps=eps)
        self.ln.weight.data, self.ln.bias.data = t("embeddings.LayerNorm.weight"), t("embeddings.LayerNorm.bias")
        self.layers = nn.ModuleList()
        for i in range(cfg["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            L = nn.TransformerEncoderLayer(H, nh, dim_feedforward=cfg["intermediate_size"],
                                           dropout=0.0, activation="gelu",
                                           layer_norm_eps=eps, batch_first=True,
                                           norm_first=False)
            a = L.self_attn
            a.in_proj_weight.data = torch.cat([t(p + f"attention.self.{x}.weight") for x in ("query", "key", "value")])
            a.in_proj_bias.data = torch.cat([t(p + f"attention.self.{x}.bias") for x in ("query", "key", "value")])
            a.out_proj.weight.data = t(p + "attention.output.dense.weight")
            a.out_proj.bias.data = t(p + "attention.output.dense.bias")
            L.norm1.weight.data = t(p + "attention.output.LayerNorm.weight")
            L.norm1.bias.data = t(p + "attention.output.LayerNorm.bias")
            L.linear1.weight.data = t(p + "intermediate.dense.weight")
            L.linear1.bias.data = t(p + "intermediate.dense.bias")
            L.linear2.weight.data = t(p + "output.dense.weight")
            L.linear2.bias.data = t(p + "output.dense.bias")
            L.norm2.weight.data = t(p + "output.LayerNorm.weight")
            L.norm2.bias.data = t(p + "output.LayerNorm.bias")
            self.layers.append(L)
        self.eval()

    @torch.no_grad()
    def embed(self, id_lists, batch=64):
        out = []
        for s in range(0, len(id_lists), batch):
            chunk = id_lists[s:s + batch]
            T = max(len(x) for x in chunk)
            ids = torch.zeros((len(chunk), T), dtype=torch.long)
            mask = torch.zeros((len(chunk), T), dtype=torch.bool)
            for i, x in enumerate(chunk):
                ids[i, :len(x)] = torch.tensor(x, dtype=torch.long)
                mask[i, :len(x)] = True
            pos = torch.arange(T)[None, :].expand_as(ids)
            h = self.ln(self.word(ids) + self.pos(pos) + self.typ(torch.zeros_like(ids)))
            for L in self.layers:
                h = L(h, src_key_padding_mask=~mask)
            m = mask[:, :, None].float()
            if self.pooling == "cls":
                v = h[:, 0]
            elif self.pooling == "max":
                v = torch.where(mask[:, :, None], h, torch.full_like(h, -1e30)).max(1).values
            else:
                v = (h * m).sum(1) / m.sum(1)
            out.append(torch.nn.functional.normalize(v, dim=1).numpy())
        return np.concatenate(out).astype(np.float32)
