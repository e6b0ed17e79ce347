"""The phrase patterns behind the coaching scorer (English), one list per criterion.

Each criterion is found in one agent turn by regular expressions; what matched is the evidence.
Kept apart from the scoring so the patterns can be read, reviewed and extended in one place.
See docs/labels/coaching.md for what each criterion means.
"""

from __future__ import annotations

import re

from moments.text.conversation import sign_off

CRITERIA = (
    "explain", "acknowledge", "options", "confirm", "courtesy", "personal", "blame", "jargon",
    "next_step", "promise",
)  # fmt: skip
"""Per-turn criteria; ``blame`` and ``jargon`` are faults (present = bad)."""

_DAYS = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
TIME = (
    r"\b(?:within|in)\s+(?:the\s+next\s+)?(?:\d+|a|an|one|two|three|few|24|48|72)\s*"
    r"(?:-\s*\d+\s*)?(?:min(?:ute)?s?|hours?|hrs?|h|days?|business\s+days?|working\s+days?|"
    r"weeks?)\b|\b\d+\s*(?:-\s*\d+\s*)?(?:business\s+|working\s+)?(?:hours?|hrs|days?|weeks?)\b|"
    r"\b(?:today|tonight|tomorrow|shortly|immediately|right\s+away|straight\s+away|this\s+(?:morning|"
    rf"afternoon|evening|week))\b|\bby\s+(?:the\s+end\s+of\s+\w+|{_DAYS}|tomorrow|noon|\d)|"
    rf"\b(?:on|next)\s+{_DAYS}\b"
)

PATTERNS: dict[str, list[str]] = {
    "explain": [
        r"\b(?:is|are|was|were|has\s+been|have\s+been)\s+(?:currently\s+|temporarily\s+|now\s+)?"
        r"(?:unavailable|closed|turned\s+off|down|delayed|cancel+ed|not\s+available|"
        r"being\s+\w+ed|only\s+available|sold\s+out|out\s+of\s+stock|case\s+sensitive)\b",
        r"\b(?:due\s+to|because|caused\s+by|causing|as\s+a\s+result\s+of)\b",
        r"\bcan\s+take\s+up\s+to\b|\b(?:takes?|usually\s+takes?)\s+(?:up\s+to\s+)?\d",
        r"\bthere\s+(?:is|are|was|'?s)\s+(?:an?\s+)?(?:\w+\s+)?(?:incident|outage|issue|problem|"
        r"disruption|delay|maintenance|work)\b",
        r"\b(?:we|they)\s+(?:turned|have\s+turned|switched)\s+off\b",
        r"\b(?:should|will)\s+be\s+back\b|\bexpected\s+to\b|\bas\s+long\s+as\b",
        r"\b(?:we|they)\s+(?:don'?t|do\s+not|no\s+longer)\s+(?:make|sell|offer|stock|carry|have)\b",
        r"\b(?:is|are)\s+(?:an?\s+)?(?:extra|additional)\s+(?:charge|cost|fee)\b|"
        r"\b(?:fee|charge)\s+helps\b",
        r"\b(?:usually|normally|typically)\b|\bthe\s+reason\s+(?:is|was)\b",
        r"\bcan'?t\s+access\s+your\s+account\b|\bnot\s+(?:seeing|aware\s+of)\s+any\b",
        r"\byou\s+can\s+still\b",
        r"\bfor\s+(?:safety|security|privacy|legal)\s+(?:reasons|purposes)\b|\bwhich\s+(?:will\s+be|is)\s+why\b|"
        r"\bthat'?s\s+why\b",
        r"\b(?:we|i)\s+(?:don'?t|do\s+not|cannot|can'?t|are\s+unable\s+to)\s+(?:have\s+access|access|"
        r"confirm|see|change|offer|process)\b|\bwe\s+will\s+not\s+be\s+able\s+to\b",
        r"\b(?:we|our\s+\w+)\s+(?:are|is|'re)\s+(?:open|here|closed)\s+(?:from|until|between|on)\b|"
        r"\b\d{1,2}(?::\d\d)?\s*(?:a\.?m\.?|p\.?m\.?)\b",
        r"\b(?:is|are|'re|'s)\s+(?:diligently\s+|currently\s+|already\s+)?working\s+on\s+(?:it|this|a\s+fix)\b",
        r"\b(?:some|all|most|our)\s+(?:locations|stores|restaurants|branches)\s+\w+|"
        r"\bthe\s+(?:system|agreement|policy|rule)\s+is\b|\bonly\s+the\s+\w+",
        r"\byou\s+should\s+be\s+fine\b|\breached\s+your\s+voice-?\s?mail\b",
    ],
    "acknowledge": [
        r"\b(?:so\s+|really\s+|truly\s+|very\s+)?sorry\b|\bapolog\w*\b",
        r"\b(?:we|i)\s+(?:completely\s+|totally\s+|definitely\s+)?understand\b",
        r"\bfrustrat\w*\b|\binconvenien\w*\b",
        r"\b(?:hate|sad|saddening|sorry|unfortunate)\s+to\s+(?:hear|see)\b|\bsaddening\b",
        r"\boh\s+no\b|\buh\s+oh\b|\byikes\b|\bwe\s+hear\s+you\b|\bi\s+know\s+the\s+feeling\b",
        r"\bnot\s+(?:the\s+experience|what)\s+we\s+want\b|\bdon'?t\s+want\s+you\s+to\s+feel\b",
        r"\b(?:glad|happy|great|thrilled|delighted)\s+to\s+(?:hear|see|know)\b|\bwe\s+are\s+glad\b",
        r"^\W*(?:awesome|excellent|wonderful|yay)\b",
        r"\bmake\s+you\s+feel\b|\bmay\s+take\s+some\s+time\b|\bset\s+your\s+heart\s+at\s+ease\b",
        r"\b(?:ouch|aww+|heck\s+yeah|love\s+it|oh,?\s+no)\b|^\W*(?:ok(?:ay)?,?\s+)?great\b",
        r"\bfeel(?:ing)?\s+this\s+way\b|\bwe\s+hope\s+(?:you|everyone)\s+(?:are|is)\s+(?:ok|okay|safe|well)\b",
    ],
    "options": [
        r"\byou\s+(?:can|could|may)\s+(?:also|instead|alternatively)\s+\w+",
        r"\byou\s+(?:can|could|may)\s+(?:still\s+)?(?:try|take|check|add|pre-?order|freeze|block|"
        r"ask|get|use|request|visit|cancel|change|return|reset|submit|suggest|book|pick\s+up|"
        r"collect|order|download|switch|upgrade|apply|claim|choose|track|exchange)\b",
        r"(?<!let\s\bme\s)(?<!another\s)(?<!when\syou\s)\b(?:please\s+)?try\s+(?:\w+ing|again|"
        r"a\s+different|another|the\s+steps)",
        r"\bhave\s+you\s+tried\b|\bcan\s+you\s+(?:please\s+)?try\b",
        r"\b(?:we|i)\s+can\s+(?:send|offer|provide|refund|replace|help\s+you\s+(?:order|with)|"
        r"arrange|book|issue|credit|test)\b|\bi'?d\s+be\s+glad\s+to\s+test\b",
        r"\b(?:we|i)(?:'d)?\s+(?:suggest|recommend|advise)\s+(?:\w+ing|you|that|using)\b",
        r"\bplease\s+follow\s+the\s+steps\b|\b(?:documentation|steps|guide|article)\s+"
        r"(?:that\s+)?(?:may|might|will|should|in)\b",
        r"\b(?:alternatively|or\s+you\s+can|another\s+option)\b|\byou\s+can\s+call\s+and\s+ask\b",
        r"\b(?:here\s+is|here'?s)\s+(?:a|the)\s+link\b|\b(?:wealth\s+of|more)\s+information\s+"
        r"(?:on|here|at)\b|\bthe\s+following\s+link\b|\blink\s+(?:may|might|will|should)\s+help\b",
        r"\b(?:uninstall\w*|reinstall\w*|restart\w*|reset\w*|clear\w*\s+(?:your|the)\s+\w+)\b",
        r"\b(?:a|an)\s+\$?\d+(?:\.\d+)?\s+credit\b|\b(?:refund|replacement|voucher|discount)\b",
    ],
    "confirm": [
        r"\b(?:does|did)\s+(?:that|this|it)\s+(?:help|work|make\s+sense)\b",
        r"\b(?:will|would)\s+(?:that|this|one\s+of\s+these|either)\s+(?:\w+\s+)?work\b",
        r"\blet\s+(?:us|me)\s+know\s+(?:how\s+it\s+goes|the\s+outcome|if\s+(?:that|this|it)\s+"
        r"(?:works|helps|doesn'?t)|if\s+you\s+(?:are|were)\s+unable|how\s+you\s+get\s+on)",
        r"\bkeep\s+(?:us|me)\s+(?:updated|posted|in\s+the\s+loop)\b|\bupdated\s+on\s+the\s+results\b",
        r"\b(?:were\s+you\s+able|did\s+you\s+manage|had\s+managed|have\s+you\s+managed)\s+to\b",
        r"\bis\s+(?:that|this)\s+(?:ok|okay|alright|clear)\b|\bmakes?\s+sense\?",
        r"\bcheck\s+if\s+you\s+had\b",
    ],
    "courtesy": [
        r"\bthank(?:s|\s+you)\b|\bty\b|\bplease\b|\bpls\b|\bkindly\b",
        r"^\W*(?:hi|hello|hey|hola|good\s+(?:morning|afternoon|evening))\b",
        r"\b(?:happy|glad|here|pleasure)\s+to\s+(?:help|assist)\b|\bhelp'?s\s+here\b|"
        r"\bhelp\s+has\s+arrived\b",
        r"\bmy\s+pleasure\b|\byou'?re\s+(?:very\s+)?welcome\b|\banytime\b|\bnot\s+a\s+problem\b",
        r"\bhave\s+a\s+(?:great|good|nice|lovely|wonderful)\b|\bkind\s+regards\b|\bcheers\b",
        r"\bhow\s+can\s+(?:we|i)\s+help\b|\bhelp\s+you\s+with\b|\bjust\s+a\s+tweet\s+away\b|"
        r"\bone\s+tweet\s+away\b|\bwe'?re\s+here\s+for\s+you\b",
        r"\bhappy\s+halloween\b|\bshout\s+out\b|\bon\s+point\b|\bgracias\b|\bpor\s+favor\b",
        r"\bpatience\s+is\s+appreciated\b|\bappreciate\s+your\s+patience\b",
        r"\b(?:would|'d)\s+love\s+to\s+(?:help|assist)\b|\bfeel\s+free\s+to\b|\bhappy\s+\w+ing\b",
    ],
    "personal": [
        r"\b(?i:hi|hello|hey|hola|thanks|sorry|welcome|dear|do)[,!]?\s+(?!There\b|Team\b|"
        r"Again\b|So\b|For\b|To\b|You\b|All\b)([A-Z][a-z]{2,})\b",
        r",\s+(?!there\b)([A-Z][a-z]{2,})\s*[.!?]",
        r"(?:^|\s)(?!I\b)([A-Z][a-z]{2,})\s*,\s+(?:I|we|please|can)\b",
    ],
    "blame": [
        r"\byou\s+should\s+have\s+(?:\w+(?:ed|en|own|one|ut)|been|read|told|sent|let)\b|"
        r"\byour\s+(?:own\s+)?fault\b|\byou\s+(?:failed|forgot)\s+to\b",
        r"\bbeyond\s+our\s+control\b|\b(?:not|no\s+issues?)\s+on\s+our\s+(?:end|side)\b|"
        r"\bany\s+issues\s+on\s+our\s+end\b",
        r"\b(?:the|their)\s+(?:driver|carrier|courier|host|seller|network|bank|pilot)'?s?\s+"
        r"(?:fault|mistake|error)\b",
        r"\bwe\s+do\s+advise\b|\bprior\s+to\s+calling\b|\bas\s+(?:stated|mentioned|advised)\s+"
        r"(?:before|previously|earlier)\b",
    ],
    "jargon": [
        r"\b(?:ticket|case|sr|incident|reference|ref)\s*(?:number|no\.?|#|id)\b",
        r"\bescalat\w*\b|\btier\s*\d\b|\bback\s*office\b|\bback\s*end\b|\binternal\s+\w+",
        r"\b(?:social\s+care|accounts?|escalations?|technical|resolution|loyalty|retention|"
        r"billing|relations)\s+(?:team|specialists?|department|dept|desk)\b",
        r"\b(?:account\s+)?specialists\b|\bper\s+(?:our\s+)?policy\b|\bprotocol\b|\bworkflow\b",
        r"\bcontract\s+negotiations\b|\blicensing\s+agreement\s*&",
        r"\b(?-i:IT)\s+(?:team|department|dept)\b|\bworld\s?tracer\b|\bthe\s+last\s+carrier\b",
    ],
    "next_step": [
        r"\b(?:dm|dms|direct\s+message|private\s+message|mensajes?\s+directos?)\b",
        r"\b(?:send|message|email|call|ring|contact|reach|follow)\s+(?:us|me|out)\b",
        r"\b(?:give\s+us\s+a\s+call|chat\s+in|reach\s+(?:out|us)|get\s+in\s+touch)\b",
        r"\bhttps?://\S+",
        r"\bplease\s+(?:send|provide|share|follow|tell|call|contact|give|use|write|check|"
        r"confirm|let\s+us\s+know|reach|try|dm|pop\s+in|come\s+in|visit|stop\s+by|drop\s+by|"
        r"head|go\s+to|bring|click|reply|fill|complete|sign|log|update|return)\b",
        r"\b(?:we|i)(?:'ll|\s+will|\s+have)\s+(?:email|call|send|follow|get|be\s+in|pass|reach|"
        r"look|connect|check|forward\w*|log|share|set|sort|request|loop|research)\b",
        r"\b(?:they|team|it|expert)\s+will\s+(?:reply|follow|reach|be\s+in|contact|connect)\b|"
        r"\bmember\s+of\s+our\s+team\s+will\b|\bwill\s+be\s+passed\s+on\b",
        r"\byou\s+(?:can|could|should)\s+(?:\w+\s+)?(?:take|check|pre-?order|add|ask|contact|"
        r"find|write|hear|suggest)\b|\b(?:try|check\s+out|check\s+back|write\s+to\s+us)\b",
        r"\blet'?s\s+(?:meet|continue|carry|get|look|investigate)\b|\blooping\b|"
        r"\bwe'?ve\s+(?:just\s+)?sent\b|\bwe\s+have\s+(?:forwarded|responded)\b",
        r"\bcan\s+you\s+(?:please\s+)?(?:send|dm|provide|tell|message|share|un\s*delete|"
        r"check|confirm)\b|\bcould\s+you\s+(?:please\s+)?(?:send|dm|let\s+us|provide)\b",
        r"\bsuggest\b|\bpasar|\bsiguenos\b|\brevisa\b|\bお知らせください|ご連絡",
        r"\byou(?:'d|\s+would|'ll|\s+will)?\s+(?:need|have)\s+to\s+(?:contact|speak|call|input|inform|"
        r"reach|send|visit|go)\b|\bwould\s+need\s+to\s+speak\b",
        r"\bplease\s+let\s+(?:me|us)\s+know\s+when\b|\bbest\s+time\s+to\s+reach\s+you\b|"
        r"\b(?:give|call)\s+you\s+a?\s*call\b|\bgive\s+you\s+a\s+call\b",
    ],
}

_COMMIT = re.compile(
    r"\b(?:we|i|they|team|it|you)(?:'ll|\s+will|\s+are\s+going\s+to|'re\s+going\s+to|\s+aims?\s+to|"
    r"\s+should\s+hear|'d\s+hear)\b|\bwill\s+(?:connect|reply|be\s+back|contact)\b",
    re.IGNORECASE,
)
_TIME = re.compile(TIME, re.IGNORECASE)
_NOT_A_TIME = re.compile(r"\b24/7\b")
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
_LINK = re.compile(r"https?://\S+")
_PART = re.compile(r"\(?\b\d\s*/\s*\d\)?|\s\d\s*$")

# Phrases that look like a criterion but are not one: removed before matching.
_NOT = {
    "next_step": re.compile(
        r"\bif\s+you\s+(?:have|need)\s+any[^.!?]*|\bif\s+(?:you\s+)?(?:anything|you\s+need)\s+"
        r"(?:else|further|additional|more)[^.!?]*|\bfeel\s+free\s+to[^.!?]*|\bif\s+you\s+change\s+"
        r"your\s+mind[^.!?]*|\bif\s+you\s+(?:still\s+)?need\s+(?:additional\s+|further\s+|more\s+)?"
        r"(?:help|assistance)[^.!?]*(?:let\s+us\s+know|reach\s+out)[^.!?]*",
        re.IGNORECASE,
    ),
}
_SIGN = re.compile(r"(?:\^|(?:^|[\s.!?,])[-–~*/])\s?([A-Za-z][A-Za-z]{0,11})\s*$")
_NAME_END = re.compile(
    r"(?:[.!?]|\b(?i:thanks|cheers|regards|thank\s+you),?)\s+(?!(?i:thanks|thank|cheers|enjoy|sorry|"
    r"regards|again|today|soon|team)\b)([A-Z][a-z]{2,11})\.?\s*$"
)
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})

COMPILED = {
    k: [re.compile(p, re.IGNORECASE if k != "personal" else 0) for p in v]
    for k, v in PATTERNS.items()
}


def _signature(text: str) -> str | None:
    stripped = _PART.sub(" ", _LINK.sub(" ", text)).strip()
    m = _SIGN.search(stripped) or _NAME_END.search(stripped)
    return sign_off(stripped) or (m.group(1) if m else None)


def find(criterion: str, text: str) -> str | None:
    """The words of ``text`` that show ``criterion`` (None when it is absent)."""
    text = text.translate(_QUOTES)
    if criterion == "promise":
        for sentence in _SENTENCES.split(_NOT_A_TIME.sub(" ", text)):
            c, t = _COMMIT.search(sentence), _TIME.search(sentence)
            if c and t:
                return f"{c.group(0)} … {t.group(0)}"
        return None
    if criterion == "personal":
        sig = _signature(text)
        if sig:
            return f"signed {sig}"
    body = _LINK.sub(" ", text) if criterion not in ("next_step",) else text
    body = re.sub(r"@\w+", " ", body).strip()
    if criterion in _NOT:
        body = _NOT[criterion].sub(" ", body)
    for p in COMPILED[criterion]:
        m = p.search(body)
        if m:
            return (m.group(1) if criterion == "personal" and m.groups() else m.group(0)).strip()
    return None


def promise_hours(text: str) -> float | None:
    """How many hours a promise in ``text`` gives itself (None when no promise or no time)."""
    words = find("promise", text)
    if words is None:
        return None
    t = words.split(" … ", 1)[1].lower()
    num = re.search(r"(\d+)(?:\s*-\s*(\d+))?", t)
    n = float(num.group(2) or num.group(1)) if num else 1.0
    if re.search(r"min", t):
        return n / 60
    if re.search(r"\bh\b|hour|hr", t):
        return n
    if "week" in t:
        return n * 24 * 7
    if "day" in t:
        return n * 24
    if re.search(r"shortly|right away|straight away", t):
        return 2.0
    if re.search(r"today|tonight|this (?:morning|afternoon|evening)", t):
        return 24.0
    if "tomorrow" in t:
        return 48.0
    return 24.0 * 7  # a weekday or a date: within the week
