"""Phrase pools and a renderer for the demo's free text: comments, survey remarks, reviews, posts.

Texts are assembled from per-moment, per-valence sentence pools (valence -1 negative, 0 neutral,
+1 positive), openers, closers and connectors, with details filled in from the lived moment
(store, weekday, how long she waited, the stylist's first name, a garment, a size).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

FIRST_NAMES = (
    "Amira", "Beth", "Chloe", "Daniel", "Ellie", "Fatima", "Grace", "Hannah", "Isla", "Jess",
    "Kate", "Leo", "Maya", "Nadia", "Olivia", "Priya", "Rosie", "Sam", "Tom", "Zoe",
)  # fmt: skip

ITEMS = (
    "a linen dress", "a pair of black jeans", "a wool coat", "a silk blouse", "a denim jacket",
    "a wrap dress", "a pair of wide-leg trousers", "a cashmere jumper", "a trench coat",
    "a midi skirt", "a blazer", "a pair of ankle boots", "a summer dress", "a knitted cardigan",
    "a pair of tailored trousers",
)  # fmt: skip

SIZES = ("size 8", "size 10", "size 12", "size 14", "size 16", "size 18")

_P = {
    "check-stock-online": {
        -1: (
            "The stock checker on the website took forever to load ({wait}) and then just said"
            " 'check in store'.",
            "Tried to see if my {size} was in stock at {store} but the page kept timing out.",
            "Website took {wait} to load and the stock it showed was wrong when I got there.",
            "Checking stock online was painful, the page hung for {wait}.",
            "Couldn't tell from the website whether they had {item} in my size.",
            "The availability page was so slow I nearly gave up on the trip.",
        ),
        0: (
            "Checked online that {item} was in stock before going in.",
            "Used the website to check my size was at {store}.",
            "The stock checker worked, nothing special.",
            "Looked up availability online first and it was accurate.",
            "Website showed the {size} was in stock.",
        ),
        1: (
            "Loved being able to check my size was in stock at {store} before leaving the house.",
            "The website showed stock at {store} instantly, so I knew the trip was worth it.",
            "Checking availability online was quick and spot on.",
            "Super handy stock checker, the page loaded straight away.",
            "Website said {item} was there in my size and it was waiting for me.",
        ),
    },
    "find-parking": {
        -1: (
            "Drove round the car park for {wait} looking for a space.",
            "Couldn't find anywhere to park, spent {wait} circling.",
            "The car park was full and I ended up parking miles away.",
            "Parking at {store} is a nightmare, {wait} to find a space.",
            "Nearly went home because there was nowhere to park.",
            "Took {wait} to get a parking space on a {day}.",
        ),
        0: (
            "Parking was fine.",
            "Found a space after a short look round.",
            "Parked without much trouble.",
            "Car park was busy but I got a space.",
            "Parking took a couple of minutes, nothing unusual.",
        ),
        1: (
            "Got a parking space right by the door.",
            "Parking was easy, straight into a space.",
            "Loads of spaces in the car park, really easy.",
            "Parked in seconds, great start.",
            "Found a space immediately at {store}.",
        ),
    },
    "greeting": {
        -1: (
            "Nobody said hello, I stood around for {wait} before anyone noticed me.",
            "Felt completely ignored when I walked in.",
            "Staff were chatting to each other and didn't greet me for {wait}.",
            "Walked around for {wait} and not a single hello.",
            "No welcome at all, like I was invisible.",
            "Had to go and find someone myself after {wait}.",
        ),
        0: (
            "Was greeted when I came in.",
            "Someone said hello after a minute or so.",
            "Normal welcome at the door.",
            "Staff said hi, nothing special.",
            "Got a quick hello on the way in.",
        ),
        1: (
            "{name} welcomed me the moment I walked in.",
            "Such a warm welcome at the door, {name} made me feel at home.",
            "Greeted straight away with a smile.",
            "Lovely welcome, {name} asked what I was looking for and pointed me the right way.",
            "Instantly made to feel welcome at {store}.",
        ),
    },
    "dressing-room": {
        -1: (
            "Waited {wait} for a fitting room with an armful of clothes.",
            "Nobody started a dressing room for me, had to queue for {wait}.",
            "The fitting rooms were all locked and I waited {wait} for someone with a key.",
            "Gave up trying on {item} after waiting {wait} for a changing room.",
            "Stood outside the dressing rooms for {wait} and nobody came.",
            "The fitting room queue was {wait} long, ridiculous.",
        ),
        0: (
            "Got a fitting room after a short wait.",
            "Dressing room was fine.",
            "Tried on {item} in the fitting room, no issues.",
            "Waited a few minutes for a fitting room, which is normal.",
            "The changing rooms were OK.",
        ),
        1: (
            "{name} set up a dressing room for me straight away and brought {item} in my size.",
            "Had a fitting room ready the moment I asked, and {name} kept bringing sizes.",
            "The dressing room service was brilliant, {name} found {item} in a {size}.",
            "No wait at all for a fitting room, {name} started one with things I'd love.",
            "Loved the fitting room experience, felt really looked after.",
            "{name} started a room for me and brought {item} to try, ended up buying it.",
        ),
    },
    "styling-advice": {
        -1: (
            "Asked for advice on {item} and got a shrug.",
            "The stylist was pushy and clearly didn't listen to what I wanted.",
            "Advice was useless, {name} just said everything looked nice.",
            "Couldn't get anyone to help me choose between two sizes.",
            "Felt rushed when I asked for styling help.",
            "Got conflicting advice about sizing and ended up none the wiser.",
        ),
        0: (
            "{name} gave me a few suggestions.",
            "Got some advice on sizing.",
            "Asked for help choosing, it was fine.",
            "The stylist made a couple of suggestions.",
            "Advice was OK, nothing I didn't know.",
        ),
        1: (
            "{name} gave me brilliant advice and suggested {item}, which I'd never have picked.",
            "Really helpful styling tips from {name}, honest about what suited me.",
            "{name} put together a whole outfit around {item}, loved it.",
            "Great advice on fit, {name} knew exactly which size would work.",
            "The stylist really listened and helped me choose.",
        ),
    },
    "checkout": {
        -1: (
            "Waited {wait} at the till with only one cashier open.",
            "The queue at the checkout was {wait}, on a {day} of all days.",
            "Only one till open and a queue to the door, took {wait} to pay.",
            "Paying took {wait}, the card machine kept failing.",
            "Stood in the checkout line for {wait} and nearly left my things.",
            "Checkout queue at {store} was a joke, {wait}.",
        ),
        0: (
            "Paid at the till, short queue.",
            "Checkout was quick enough.",
            "Queued a couple of minutes to pay.",
            "Paying was straightforward.",
            "Normal queue at the till.",
        ),
        1: (
            "No queue at all, paid in seconds.",
            "Checkout was super quick and the cashier was lovely.",
            "In and out at the till in under a minute.",
            "{name} at the till was friendly and fast.",
            "Paying was effortless, no waiting.",
        ),
    },
    "order-confirmation": {
        -1: (
            "The order confirmation took {wait} to arrive and I thought the payment had failed.",
            "The confirmation email was confusing, couldn't work out what I'd paid for.",
            "Never got a clear receipt by email and had to call.",
            "Confirmation came {wait} later with the wrong items listed.",
            "Email receipt was a mess of links and no order details.",
        ),
        0: (
            "Got the confirmation email.",
            "Order confirmation arrived as expected.",
            "Receipt email came through fine.",
            "Email confirmation was clear enough.",
        ),
        1: (
            "Confirmation email arrived instantly with everything clearly listed.",
            "Loved the email receipt, clear and with the return details.",
            "The order confirmation arrived before I'd even left the till.",
            "Really clear confirmation email, exactly what I needed.",
        ),
    },
    "returns-call": {
        -1: (
            "Was on hold for {wait} trying to return {item}.",
            "Called about a return, got passed around and it's still not sorted.",
            "Spent {wait} on hold and then got cut off.",
            "Had to call three times to get my refund sorted.",
            "Nobody could tell me how to exchange {item}, {wait} on hold for nothing.",
        ),
        0: (
            "Called to return {item}, it got sorted.",
            "Phoned about an exchange, took a while but it's done.",
            "Return was processed over the phone.",
            "Rang the contact centre, short hold, refund arranged.",
        ),
        1: (
            "{name} on the phone sorted my exchange in one call, barely any hold.",
            "Return sorted in minutes on the phone, really impressed.",
            "Called about a refund and it was done on the first call, brilliant.",
            "Answered almost straight away and the exchange for {item} was sorted there and then.",
        ),
    },
}
_GENERIC = {
    -1: ("It really let me down.", "Not what I expected at all."),
    0: ("It was fine.", "Nothing to report."),
    1: ("It was excellent.", "Really impressed."),
}

_OPENERS = {
    -1: ("", "", "", "Honestly, ", "Not impressed. ", "Visited {store} on {day}. ",
         "Really disappointing visit. ", "I'm sorry to say ", "Shopped at {store}. "),
    0: ("", "", "", "Visited {store} on {day}. ", "Quick trip to {store}. ",
        "Shopped at {store}. ", "For what it's worth, "),
    1: ("", "", "", "Just wanted to say ", "Visited {store} on {day}. ", "What a lovely visit! ",
        "Shout out to the {store} team. ", "Really happy. "),
}  # fmt: skip
_CLOSERS = {
    -1: ("", "", " Not good enough.", " Really disappointing.", " Won't be rushing back.",
         " Please sort this out.", " Expected better.", " So frustrating."),
    0: ("", "", " Fine.", " No complaints.", " All fine.", " Nothing more to say."),
    1: ("", "", " Thank you!", " Made my day.", " Will definitely be back.",
        " Brilliant service.", " Keep it up!", " 10/10."),
}  # fmt: skip
_CONNECT = {  # (valence of the first moment, of the second) -> connectors before the second
    "same": (" ", " Also, ", " On top of that, ", " And "),
    "up": (" ", " On the plus side, ", " That said, ", " At least "),
    "down": (" ", " But ", " Shame though: ", " Only downside: "),
}
_HEADLINES = {
    1: ("Disappointed.", "Poor service.", "Won't be back.", "Avoid on a Saturday."),
    2: ("Could be better.", "Mixed experience.", "Not great."),
    3: ("OK visit.", "Average.", "Fine."),
    4: ("Good visit.", "Nice shop.", "Pleasant trip."),
    5: ("Fantastic service!", "Love this store.", "Best shop in town."),
}
_TAGS = {
    -1: ("", " #disappointed", " #customerservice", " #fail", " #neveragain", " Sort it out!"),
    0: ("", "", " #shopping"),
    1: ("", " #happycustomer", " #shopping", " #lovethisplace", " Highly recommend!"),
}


def _join(prefix: str, template: str) -> str:
    """Prefix + sentence template, lower-casing its first letter after a mid-sentence prefix."""
    if not prefix.strip() or prefix.endswith((". ", ": ", "! ")):
        return prefix + template
    if template.startswith(("{", "I ", "I'")):
        return prefix + template
    return prefix + template[0].lower() + template[1:]


def wait_phrase(value: float, unit: str, hedge: int) -> str:
    """How a customer would say a measured wait, e.g. 'nearly 10 minutes'."""
    if value != value:  # NaN
        return "a while"
    scale = {"s": 1.0, "sec": 1.0, "seconds": 1.0, "min": 60.0, "minutes": 60.0, "h": 3600.0}
    if unit not in scale:
        return f"{value:g} {unit}".strip()
    secs = value * scale[unit]
    if secs < 10:
        return f"{secs:.1f} seconds"
    if secs < 90:
        return f"{round(secs)} seconds"
    mins = secs / 60
    n, up, down = round(mins), int(np.ceil(mins)), int(mins)
    options = (
        f"{n} minutes",
        f"nearly {up} minutes",
        f"about {n} minutes",
        "over a minute" if down == 1 else f"over {down} minutes",
        f"a good {n} minutes",
    )
    return options[hedge % len(options)]


def render(
    rng: np.random.Generator,
    moment: Sequence[str],
    valence: Sequence[int] | npt.NDArray[np.integer],
    fields: Mapping[str, Sequence[str]],
    *,
    style: str = "comment",
    moment2: Sequence[str | None] | None = None,
    valence2: Sequence[int] | npt.NDArray[np.integer] | None = None,
    rating: Sequence[int] | npt.NDArray[np.integer] | None = None,
) -> list[str]:
    """Free texts, one per row.

    ``fields`` holds per-row details: ``store``, ``day``, ``wait``, ``name`` (and ``wait2``,
    ``name2`` for the second moment). ``style`` is ``comment``, ``remark`` (a short survey
    remark), ``review`` (with a headline from ``rating``) or ``post`` (a social media post).
    """
    n = len(moment)
    draws = rng.integers(0, 1 << 30, size=(n, 8))
    out: list[str] = []
    for i in range(n):
        d = draws[i]
        v = int(valence[i])
        ctx = {
            "store": fields["store"][i],
            "day": fields["day"][i],
            "wait": fields["wait"][i],
            "name": fields["name"][i],
            "item": ITEMS[d[0] % len(ITEMS)],
            "size": SIZES[d[1] % len(SIZES)],
        }
        pool = _P.get(moment[i], _GENERIC)[v]
        core = pool[d[2] % len(pool)]
        if style in ("comment", "post"):
            core = _join(_OPENERS[v][d[6] % len(_OPENERS[v])], core)
        text = core.format(**ctx)
        if moment2 is not None and valence2 is not None and moment2[i]:
            v2 = int(valence2[i])
            pool2 = _P.get(str(moment2[i]), _GENERIC)[v2]
            kind = "down" if v2 < 0 <= v else "up" if v2 > v else "same"
            second = _join(_CONNECT[kind][d[4] % 4], pool2[d[3] % len(pool2)])
            text += second.format(**{**ctx, "wait": fields["wait2"][i], "name": fields["name2"][i]})
        closer = _CLOSERS[v][d[5] % len(_CLOSERS[v])]
        if style == "remark":
            text += closer if d[6] % 2 else ""
        elif style == "review":
            r = int(rating[i]) if rating is not None else 3
            text = f"{_HEADLINES[r][d[6] % len(_HEADLINES[r])]} {text}{closer}"
        else:
            text += closer
            if style == "post":
                text += _TAGS[v][d[7] % len(_TAGS[v])]
        out.append(text)
    return out
