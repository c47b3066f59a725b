"""text_corpus — a fixed, deterministic set of texts for comparing earshot's
text side (tokenizer, text encoders) with its references.

texts() returns the same list on every run and Python version: search
queries, sentences, long paragraphs (well past 256 word pieces, built from a
seeded word list with a private LCG), accents, CJK, emoji, punctuation runs,
numbers, URLs, control and zero-width chars, combining sequences, many
scripts, very long "words", and empty / whitespace-only strings. No text
holds U+0000 (tools read NUL-separated files) or a surrogate; all code
points are assigned in Unicode 14 (Python 3.11's unicodedata).
"""

QUERIES = [
    "dog barking", "church bells", "rain on a tin roof", "applause",
    "the part where she talks about taxes", "baby crying", "thunder",
    "car horn in traffic", "birds singing at dawn", "footsteps on gravel",
    "a door creaking open", "piano solo", "crowd cheering at a stadium",
    "someone laughing", "ocean waves", "glass breaking", "siren",
    "keyboard typing", "wind chimes", "helicopter overhead", "cat meowing",
    "train whistle", "electric guitar riff", "jazz saxophone", "violin",
    "heavy breathing", "phone ringing", "clock ticking", "water dripping",
    "fireworks", "Dog", "DOG BARKING", "dog-barking", "dogs", "barking dogs!",
    "rock'n'roll", "hip-hop beat", "80s synth pop", "lo-fi", "R&B", "C#",
    "AC/DC", "mp3", "5.1 surround", "a", "I", "x", "unaffable", "unbelievable",
    "thunderstorm", "snoring", "kettle whistling", "motorcycle revving",
]

SENTENCES = [
    "The weather is lovely today.", "It's so sunny outside!",
    "He drove to the stadium.", "And so my fellow Americans, ask not what your "
    "country can do for you, ask what you can do for your country.",
    "The quick brown fox jumps over the lazy dog.",
    "She sells sea-shells by the sea-shore.",
    "I can't believe it's not butter!", "Don't stop; won't stop.",
    "Where's the \"remote\" control?", "(parenthetical) [bracketed] {braced}",
    "What time is it? 10:45 a.m.", "Meet me at 221B Baker Street, London.",
    "Prices rose 3.5% in Q2 2023, to $1,299.99.", "Call +1 (555) 123-4567.",
    "E = mc^2 and a^2 + b^2 = c^2", "x_1 + x_2 <= 100 && y != 0",
    "Visit https://example.com/path?query=1&lang=en#frag now.",
    "Mail me: jane.doe+audio@example.org", "ftp://files.example.net/a_b-c.txt",
    "#hashtag @mention $TICKER", "TL;DR: it works.", "¿Qué hora es? ¡Hola!",
    "Il était une fois, à Paris…", "Ich möchte ein Brötchen, bitte.",
    "Straße und Maß", "ÆØÅ æøå", "İstanbul ıssız", "ΣΊΣΥΦΟΣ", "ΟΔΥΣΣΕΥΣ",
    "Ⱥ Ⱦ Ɐ", "ǅemal", "ﬁnancial ﬂow", "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ　１２３",
    "KELVIN K and OHM Ω and Å", "½ ¼ ¾ ² ³ ⁴ ₁ ₂", "ℌℑℜ", "Ⅻ ⅻ",
]

ACCENTS = [
    "café", "naïve", "Ångström", "Zoë", "São Paulo", "résumé", "Café au lait",
    "CAFÉ", "crème brûlée", "façade", "jalapeño", "über", "Mötley Crüe",
    "Dvořák", "Łódź", "Kraków", "Smörgåsbord", "piñata", "coöperate",
    "cafe\u0301", "Cafe\u0301 decomposed", "e\u0301\u0301 double", "a\u0308\u0304",
    "Tiếng Việt có dấu", "Ǆ ǅ ǆ", "Ạ ạ Ả ả", "ñ vs n\u0303",
    "Z\u0351\u0358a\u0336\u0327l\u0335g\u0338o\u0334",   # zalgo
]

CJK = [
    "你好，世界！", "我喜欢听雨声。", "北京欢迎你", "狗叫声", "教堂钟声",
    "日本語のテキストです。", "ひらがな カタカナ 漢字", "東京タワーへ行きました",
    "こんにちは", "ｶﾀｶﾅ", "한국어 텍스트입니다", "안녕하세요, 세계!", "음악",
    "中文English混合text", "𠀀𠀁 extension B", "丽 compat ideograph",
    "豈 更 車", "⺀ radicals ⼀⼁", "〇一二三", "「引用」『二重』",
    "中文標點：，。；！？", "Mixed 漢字 and かな with English",
]

EMOJI = [
    "🐶 barking", "🔔🔔🔔", "I ❤️ music", "👍🏽 thumbs", "👨‍👩‍👧‍👦 family",
    "🏳️‍🌈 flag", "🇺🇸 🇯🇵 🇫🇷", "😀😃😄😁", "🎵 🎶 🎸 🥁", "☕ coffee",
    "✔ ✓ ✗ ★ ☆", "©®™", "→ ← ↑ ↓ ⇒", "♠♣♥♦", "🧑🏿‍💻 coding",
]

PUNCT = [
    "!!!???", "...", "--", "»«", "—– dashes", "‘single’ “double”",
    "„German“ ‚quotes‘", "¡¿", "§ ¶ † ‡", "•·°", "a.b.c", "end.", "...start",
    "one,two;three:four", "~`^|\\", "((()))", "[[nested]]", "<html>&amp;</html>",
    "@@@###$$$%%%", "_under_score_", "«Bonjour»", "、。・", "؟ ، ؛",
    "a—b–c-d", "'quoted'", "\"double\"", "*bold* _it_", "100%!", "?!",
]

NUMBERS = [
    "0", "42", "3.14159", "1,000,000", "1e-9", "2024-06-01", "12:30:45",
    "007", "٠١٢٣٤٥٦٧٨٩", "०१२३४५", "๑๒๓", "12345678901234567890",
    "#1 hit of 1999", "v2.0.1-beta", "0x1F600", "-273.15 °C", "1/2 + 3/4",
]

WHITESPACE = [
    "", " ", "   ", "\t", "\n", "\r\n", " \t\n\r ", "\u00a0", "\u3000",
    "\u2003\u2009\u200a", "\u2028", "\u2029", "\u1680", "\u202f\u205f",
    "tabs\there\tand\tthere", "line1\nline2\r\nline3\rline4",
    "multiple    spaces   between", "  leading and trailing  ",
    "nbsp\u00a0between\u00a0words", "para\u2029graph\u2028line",
    "ideographic\u3000space",
]

CONTROL = [
    "bell\x07char", "esc\x1b[0mcode", "del\x7fchar", "form\x0cfeed",
    "vertical\x0btab", "nel\x85char", "\x01\x02\x03 only controls",
    "zero\u200bwidth\u200bspace", "zw\u200cnon\u200djoiner", "bom\ufeffhere",
    "soft\u00adhyphen", "word\u2060joiner", "rtl\u200fmark\u200elrm",
    "\u202eoverride\u202c", "private\ue000use\uf8ff", "\U000f0000plane15",
    "replacement\ufffdchar", "\ufffd", "\ufffd\ufffd\ufffd", "a\ufffdb",
    "noncharacter\ufdd0here", "unassigned\u0378here", "combining\u034fgrapheme",
    "mongolian\u180evs", "\u0600arabic number sign",
]

SCRIPTS = [
    "Καλημέρα κόσμε", "Ελληνικά ΚΕΦΑΛΑΙΑ", "Привет, мир!", "Москва ЁЛКА ёлка",
    "Україна їжак", "مرحبا بالعالم", "العربية مع التشكيل: كَتَبَ",
    "שלום עולם", "עִבְרִית עם ניקוד", "नमस्ते दुनिया", "हिन्दी भाषा",
    "สวัสดีชาวโลก", "ภาษาไทย", "Բարեւ աշխարհ", "გამარჯობა", "ሰላም ዓለም",
    "வணக்கம்", "ನಮಸ್ಕಾರ", "সবাই", "ਪੰਜਾਬੀ", "ཀ་ཁ་ག", "ᚠᚢᚦ runes", "𐌰𐌱 gothic",
    "Ⲁⲃ coptic", "ꦲꦏ javanese", "ᏣᎳᎩ cherokee", "Tiếng Việt",
    "Türkçe ğüşıöç", "Română ăâîșț", "Čeština ěščřžýáíé", "Magyar őű",
    "Íslenska þð", "Esperanto ĉĝĥĵŝŭ", "𝐁𝐨𝐥𝐝 𝑰𝒕𝒂𝒍𝒊𝒄", "𝔉𝔯𝔞𝔨𝔱𝔲𝔯",
]

LONG_WORDS = [
    "a" * 101, "b" * 100, "x" * 99 + "!", "supercalifragilisticexpialidocious" * 3,
    "é" * 101, "e\u0301" * 60, "ab" * 50 + "c", "日" * 120,
    "Pneumonoultramicroscopicsilicovolcanoconiosis",
    "https://example.com/" + "very-long-path-segment/" * 8,
    "loooooooooooooooooooooooooooooooooooooooooooooooooooooooooong",
    "qwzxjk", "zzzzqqqqxxxx", "🐶" * 50, "hello" + "\u0301" * 150,
]

SPECIAL_TOKENS = [
    "[CLS] hello [SEP]", "a[MASK]b", "[UNK]", "[PAD][PAD]", "[cls] lowercase",
    "[CLS", "CLS]", "[[SEP]]", "[ MASK ]", "[Mask]",
]

_WORDS = (
    "the of and to in is was for on that with as by at from his her an "
    "music sound audio recording concert orchestra guitar piano drums bass "
    "voice singer choir bells church dog cat bird rain thunder wind ocean "
    "river forest city traffic engine train airplane helicopter footsteps "
    "laughter applause crowd stadium market kitchen kettle clock alarm phone "
    "microphone speaker headphones frequency amplitude spectrum melody rhythm "
    "harmony tempo beat chorus verse bridge interview podcast lecture news "
    "weather tax policy government economy election history science physics "
    "biology chemistry mathematics neuroscience psychology philosophy "
    "unbelievable extraordinary reverberation characteristically "
    "electroencephalography incomprehensibilities internationalization "
    "café naïve résumé Zoë São Ångström über façade jalapeño "
    "東京 北京 音楽 음악 Москва Αθήνα 🎵 🔔 — … « » ! ? , . ; : ( ) 2024 3.5% "
    "don't it's we're O'Brien e-mail co-operate self-esteem well-known "
    "Hello World NASA UNESCO iPhone McDonald eBay YouTube JavaScript"
).split()


def _lcg(seed):
    s = seed & 0xFFFFFFFF
    while True:
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        yield s >> 8


def _paragraph(seed, n_words):
    r = _lcg(seed)
    out = []
    for i in range(n_words):
        w = _WORDS[next(r) % len(_WORDS)]
        if i == 0 or out[-1].endswith("."):
            w = w[:1].upper() + w[1:]
        out.append(w)
        if next(r) % 11 == 0:
            out[-1] += "."
    sep = "\n" if seed % 3 == 0 else " "
    return sep.join(out)


def long_paragraphs():
    """12 paragraphs of 250-1200 words: 300+ word pieces each."""
    return [_paragraph(1000 + k, 250 + 80 * k) for k in range(12)]


def texts():
    out = (QUERIES + SENTENCES + ACCENTS + CJK + EMOJI + PUNCT + NUMBERS +
           WHITESPACE + CONTROL + SCRIPTS + LONG_WORDS + SPECIAL_TOKENS +
           long_paragraphs())
    # Mixed-case and joined variants, deterministic.
    out += [s.upper() for s in QUERIES[:10]] + [s.title() for s in SENTENCES[:10]]
    out += [" ".join(ACCENTS[i:i + 3]) + " " + CJK[i] + " " + EMOJI[i]
            for i in range(10)]
    assert all("\x00" not in t for t in out)
    return out


if __name__ == "__main__":
    ts = texts()
    print(len(ts), "texts,", sum(len(t) for t in ts), "chars")
