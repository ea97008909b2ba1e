"""Is a question in English? The documents and the search are English; other languages are translated first.

A small, pure heuristic: the share of a text's words that are frequent function words of English versus
of German, French, Spanish, Italian, Dutch and Portuguese. Technical terms and names count for neither.
"""

from __future__ import annotations

import re

from assistant.tuning import QUESTION

_ENGLISH = frozenset(
    "the a an of to in on for and or is are was were be been do does did what which who whom whose when where why "
    "how can could should would will shall may might must our we you they it its this that these those with from by "
    "at as if not no any all each our us my me i there their them have has had than then so about into under".split()
)
_OTHER = frozenset(
    # German
    "der die das den dem des ein eine einer einem einen und oder ist sind war wer was wie wo warum welche welcher "
    "welches bei mit von zu für über unter nicht kein keine wir ihr sie es auch nach vor müssen muss kann können "
    "soll sollen wird werden dürfen darf nachdem wenn dass "
    # French
    "le la les un une des du de et ou est sont qui que quoi quel quelle quels comment pourquoi où avec pour dans "
    "sur par pas ne nous vous ils elles ce cette ces au aux doit doivent peut "
    # Spanish / Portuguese / Italian
    "el los las una unos unas y es son qué quién cómo dónde cuál cuáles por para con sin del al debe deben puede "
    "según o e il lo gli di da che chi come perché dove quale sono deve um uma não com para pelo pela também "
    # Dutch
    "het een en van voor niet wij zij wat hoe waar waarom welke moet moeten kan".split()
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def is_english(text: str) -> bool:
    """True unless the text's function words are clearly another language's (short texts count as English)."""
    words = [w.lower() for w in _WORD.findall(text)]
    english = sum(w in _ENGLISH for w in words)
    other = sum(w in _OTHER and w not in _ENGLISH for w in words)
    if other < QUESTION.foreign_words:
        return True
    return english >= other
