"""wordpiece_ref — an independent pure-Python BERT WordPiece tokenizer, written
from the steps of Hugging Face's slow BertTokenizer (transformers >= 4.34:
PreTrainedTokenizer.tokenize + BasicTokenizer + WordpieceTokenizer) with
only the standard library, to check src/models/bert/wordpiece.c against.

Steps, in HF's order:
  1. lower_case: lowercase each char on its own (HF does it with the regex
     "(special)|(.+?)", one char per match, so 'Σ' is 'σ' even at a word
     end: no final-sigma context); special tokens are left as they are.
  2. split the text on literal special tokens ([CLS] [SEP] [PAD] [UNK]
     [MASK], those in the vocab), which map straight to their ids.
  3. per piece: clean (drop NUL, U+FFFD, category C* except \\t \\n \\r;
     whitespace → ' '), pad CJK ideographs with spaces, NFC, str.split();
     per token: lower + NFD + drop Mn (lower_case), split on punctuation.
  4. WordPiece: greedy longest match first, '##' continuation, [UNK] for a
     word with no full match or longer than 100 chars.
"""
import unicodedata

MAX_WORD_CHARS = 100
SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF),
              (0x2A700, 0x2B73F), (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF),
              (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


def _is_whitespace(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def _is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def _is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(ch):
    cp = ord(ch)
    return any(a <= cp <= b for a, b in CJK_RANGES)


def load_vocab(path):
    """token -> id (line number), Python text-mode newlines like HF."""
    vocab = {}
    with open(path, "r", encoding="utf-8") as f:
        for i, line in enumerate(f.readlines()):
            vocab[line.rstrip("\n")] = i
    return vocab


class WordPiece:
    def __init__(self, vocab_path, lower_case=True):
        self.vocab = load_vocab(vocab_path)
        self.lower_case = lower_case
        self.specials = [s for s in SPECIALS if s in self.vocab]
        self.unk = "[UNK]"

    # -- step 1 + 2 --------------------------------------------------------
    def _split_specials(self, text):
        """[(is_special, str)] in order; leftmost match wins."""
        out = []
        i = start = 0
        while i < len(text):
            hit = next((s for s in self.specials if text.startswith(s, i)), None)
            if hit:
                if start < i:
                    out.append((False, text[start:i]))
                out.append((True, hit))
                i += len(hit)
                start = i
            else:
                i += 1
        if start < len(text):
            out.append((False, text[start:]))
        return out

    # -- step 3 ------------------------------------------------------------
    def _basic(self, text):
        chars = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or _is_control(ch):
                continue
            if _is_whitespace(ch):
                chars.append(" ")
            elif _is_cjk(ch):
                chars.extend((" ", ch, " "))
            else:
                chars.append(ch)
        text = unicodedata.normalize("NFC", "".join(chars))
        words = []
        for token in text.split():
            if self.lower_case:
                token = token.lower()
                token = "".join(c for c in unicodedata.normalize("NFD", token)
                                if unicodedata.category(c) != "Mn")
            cur = None
            for ch in token:
                if _is_punctuation(ch):
                    words.append(ch)
                    cur = None
                else:
                    if cur is None:
                        words.append("")
                        cur = len(words) - 1
                    words[cur] += ch
        return [w for w in " ".join(words).split()]

    # -- step 4 ------------------------------------------------------------
    def _wordpiece(self, word):
        if len(word) > MAX_WORD_CHARS:
            return [self.unk]
        pieces = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                sub = ("##" if start > 0 else "") + word[start:end]
                if sub in self.vocab:
                    found = sub
                    break
                end -= 1
            if found is None:
                return [self.unk]
            pieces.append(found)
            start = end
        return pieces

    def tokens(self, text):
        """Word pieces (without [CLS]/[SEP])."""
        out = []
        for special, part in self._split_specials(text):
            if special:
                out.append(part)
                continue
            if self.lower_case:
                part = "".join(c.lower() for c in part)
            for word in self._basic(part):
                out.extend(self._wordpiece(word))
        return out

    def encode(self, text, max_len=256):
        """[CLS] ids [SEP], at most max_len ids (max_len >= 2)."""
        assert max_len >= 2
        ids = [self.vocab[t] for t in self.tokens(text)[:max_len - 2]]
        return [self.vocab["[CLS]"]] + ids + [self.vocab["[SEP]"]]
