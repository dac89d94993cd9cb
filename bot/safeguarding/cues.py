"""Words that signal a safeguarding concern, and the words that take one back (no model here).

Cues favour recall: a false alarm costs a sentence, a miss can cost a child. Each kind has
strong cues (enough on their own) and the triage adds meaning from the sentence encoder. Safe
idioms ("kill the lights", "dying to see") and plain negations ("I'm not in danger") are
removed before the cues are read, so they cannot fire them.
"""

from __future__ import annotations

import re

KINDS = ("danger", "disclosure", "sexual_images", "bullying")  # most serious first
SAFE_IDIOMS = re.compile(
    r"\b(kill(ing)? (the|those) (lights?|music|sound|noise|engine|power|tv|screen)|killer (performance|show|idea)|"
    r"dying (to|for)\b|(phone|battery|laptop|tablet|ipad|computer)('s| has| is)? (died|dead|dying)|"
    r"die (my|her|his) hair|dye|(this|that|homework|maths|test) is killing me|to die for|"
    r"(kill|killed|shoot|shot|stab|die|died) (me |him |her |them )?(in|on) (fortnite|minecraft|roblox|the game|a game)|"
    r"fire drill|fire alarm|shoot(ing)? (a )?(video|photos?|film|hoops)|photo ?shoot|break a leg|"
    r"slay(ed|ing)?|killed it|nailed it|bullet points?|fight(ing)? (for|against) (a|the) (cause|climate))\b", re.I)
NEGATED = re.compile(
    r"\b(i'?m|i am|we'?re|we are|they'?re|nobody('?s| is)|no ?one('?s| is)|no-one('?s| is)|he'?s|she'?s|it'?s)"
    r" (not|never|n't)( being)? (in danger|hurt|bullied|at risk|unsafe|scared)\b|"
    r"\bnobody (got |was |is )?hurt\b|\bno one (got |was |is )?hurt\b|\bnot (in danger|being bullied)\b|"
    r"\b(nobody|no ?one|no-one)('?s| is| was| are)? (in (any |immediate )?danger|at risk)\b|"
    r"\b(isn'?t|aren'?t|wasn'?t|weren'?t|not|never) (in (any |immediate |real )?danger)\b", re.I)
WEAK_IMAGES = r"porn\w*|x-?rated"  # a cue, never decisive: pornography on a school computer is often section 7
IMAGES = (
    r"nudes?|naked|no clothes|nothing on|undress\w*|topless|sext\w*|sexual (image|photo|pic|picture|video)s?|"
    r"indecent|explicit (image|photo|pic|picture|video)s?|private (pics?|photos?|pictures?)|"
    r"pics? of (my|her|his) (body|privates|bum|boobs)|send (me )?(a )?(pic|photo|picture)s? of (yourself|you|ur)|"
    r"(share|sharing|shared|leak\w*|post\w*|spread\w*) (my|her|his|their) (pics|photos|pictures|images)|"
    r"sextortion|onlyfans|dick pic|willy|boobs|rude (pic|photo|picture|video)s?"
)
IMAGE_HINTS = (  # a cue, never decisive: asked to show under clothes; "send more or he'll show everyone"
    r"(see|show|look) (under|inside) (my|your|her|his|their) (top|clothes|pants|shorts|skirt|t-?shirt)|"
    r"or (he|she|they)(('|’)?ll| will| is going to| are going to| gonna| wil) (show|send|share|post|put)\b"
    r".{0,30}\b(every\w*|online|school|my (mum|dad|friends|class))"
)
CUES: dict[str, re.Pattern[str]] = {
    "danger": re.compile(
        r"\b(kill (my|him|her|them|your)sel(f|ves)|kill (him|her|me|them|you|myself)|suicid\w*|end (my|her|his|their) "
        r"li(fe|ves)|want(s|ed)? to die|wanna die|don'?t want to (live|be here|be alive)|self[- ]?harm\w*|"
        r"(cut|cutting|hurt|hurting|harm|harming) (my|him|her|them)sel(f|ves)|overdose|"
        r"knife|knives|gun|weapon|stab\w*|run(ning)? away|ran away|missing|can'?t find (him|her|my|our)|"
        r"hasn'?t come home|not come home|(meet|meeting|see|visit)\w* (up )?(with )?(a|an|some|this|that)? ?"
        r"(man|men|stranger|adult|guy|bloke|older|person|someone|somebody|boy|girl)\b.{0,40}\b(online|game|app|"
        r"internet|met on|roblox|fortnite|snapchat|tiktok|instagram|discord)|met (him|her|them) online|"
        r"(going|coming|gonna|threaten\w*) to (hurt|kill|beat|batter|get|attack|stab|punch|hit)|"
        r"(will|'ll|wil|gonna|going to) (come|turn up|go|wait)\b.{0,40}\band (hurt|kill|beat|batter|attack|stab|shoot|"
        r"get)|(will|'ll|wil) (hurt|kill|beat up|batter|attack|stab|shoot) (you|him|her|them|us|me|every\w*|the "
        r"(kids|children|pupils|class))|"
        r"(going|gonna|planning|plans|arranged|arranging|wants?|agreed) to meet (up with )?(him|her|them|someone|"
        r"somebody|a (man|guy|boy|girl|stranger)|this (man|guy|boy|girl|person))\b(?! (at|after) (school|parents))|"
        r"(got|has|have|knows|found( out)?|asked (for|me for)|wants?) (my|our|her|his|their) (home )?address|"
        r"knows where (i|we|she|he|they) lives?|"
        r"in (immediate )?danger|not safe|unsafe|scared to go home|afraid to go home|"
        r"locked (in|out)|(alone|lost) and (scared|frightened)|groom\w*|help me|please help|"
        r"(i'?m|i am|im) (so )?(scared|frightened|terrified)|hurt me|hurting me|"
        # a child missing: not arrived, not come back, not collected, gone off
        r"never (arrived|came|turned up|got (there|home|to school))|(didn'?t|did not|hasn'?t|has not|haven'?t|have not) "
        r"(arrived|arrive|turned up|turn up|come back|came back|got off|get off|been (collected|picked up))|"
        r"not (been )?(collected|picked up)|can'?t find \w+ anywhere|wandered off|(ran|run|gone|went) off (with|from)|"
        r"left the (site|school|premises|grounds)|(no ?one|nobody)('?s| is| has)? (here|come)( to (get|collect|pick))?|"
        # harm to oneself, said or hinted
        r"bleeding|did it (to )?myself|stop(ped)? breathing|jump (off|from) (a |the |his |her |my )?(bridge|roof|building|"
        r"cliff|window|balcony|car park|top)|jump in front of|threaten\w* to jump|"
        r"hang (my|him|her|them)sel(f|ves)|noose|(want to|wanna|going to|gonna|just|i'?ll|i will) end it|end it all|"
        r"better off without me|(don'?t|not) (want to|wanna) wake up|"
        r"won'?t be (around|here) (much longer|any ?more|tomorrow)|goodbye (letter|note|message)|"
        # a fight arranged, someone waiting, an online stranger who knows where a child is
        r"(?<!water )(?<!pillow )(?<!food )(?<!snowball )fight (after|at|behind|tomorrow|later|tonight)|"
        r"(wait|waiting|be) (for (me|him|her) )?outside (school|my house|the gates?)|"
        r"(pic|photo|picture)s? of (my|our) (house|home|street|front door)|knows (which|what|my) school)\b", re.I),
    "disclosure": re.compile(
        r"\b(hits?|hitting|beats?|beating|beaten|punch\w*|kick(s|ed|ing)|slap\w*|smack\w*|burn(s|ed|t)?|bruis\w*|"
        r"marks on|abused|abusing (me|her|him|them)|sexually|neglect\w*|touch(es|ed|ing)? (me|her|him|them)|touches|"
        r"private parts|privates|did (things|stuff|something|bad things) to (me|him|her|them)|"
        r"(no|not enough|never any) (food|dinner|tea|breakfast)|hungry all|starv\w*|left (alone|on (his|her|their) own)|"
        r"domestic|dv\b|violence at home|(mum|dad|step ?dad|step ?mum|uncle|boyfriend|partner|grandad) (hurts|hit|"
        r"shouts|screams|drinks|is drunk)|secret (game|touch\w*)|disclos\w*|told me (that )?(her|his|their) "
        r"(dad|mum|stepdad|uncle)|scared of (his|her|my) (dad|mum|stepdad|step-dad|uncle|brother))\b", re.I),
    "sexual_images": re.compile(rf"\b({WEAK_IMAGES}|{IMAGE_HINTS}|{IMAGES})\b", re.I),
    "bullying": re.compile(
        r"\b(bull(y|ys|ies|ied|ying)|cyber ?bull\w*|name[- ]?calling|harass\w*|troll\w*|pick(s|ed|ing)? on|picking on|"
        r"nasty (messages?|comments?|posts?|stuff|things)|mean (messages?|comments?|to me)|horrible (messages?|comments?)|"
        r"(call|calls|calling|called) (me|him|her|them) names|left (me|him|her) out|exclud\w*|"
        r"(keep|keeps|kept) (sending|posting|messaging|saying)|slag\w* (me|him|her) off|abus(e|ive) (about|towards|to) "
        r"(me|staff|a teacher)|posting (lies|abuse|rumou?rs)|rumou?rs? about|threatening messages|"
        r"ganging up|gang up|made fun of|laugh(ing|ed)? at me|"
        r"(film|films|filmed|filming|record\w*|video\w*) (me|him|her|them) (crying|getting|being|in the|fall\w*)|"
        r"(take|takes|took|taking|nick|nicks|nicked|nicking|steal|steals|stealing|stole) (my|his|her) "
        r"(lunch|dinner|money|stuff|things|bag)|"
        r"fake (account|profile|page) (of|about|pretending)|(no ?one|nobody|no1) (will )?(talk|talks|speak\w*|play\w*) "
        r"(to|with) (me|him|her))\b", re.I),
}


# Words that make a concern on their own, whatever the model says: a child arranging to meet, or be picked up by,
# someone known only online (in either order: "meeting my online bf", "meet sumone from minecraft"), and the images
# kind's own cues.
PLACES_ONLINE = (r"online|internet|on (a|the) game|from (a|the) game|gam(e|ing) friend|app|roblox|minecraft|fortnite|"
                 r"snapchat|snap|tiktok|instagram|insta|discord|whatsapp|xbox|playstation|ps5|youtube|among us")
COMING_ROUND = (r"pick (me|her|him|them|us) up|come (round|over|to (my|our|her|his|their) (house|home|school))|"
               r"collect(s|ing)? (me|her|him|them|us|(a |the )?(pupil|child|kid))")
MEETING = re.compile(
    rf"\b(meet|meeting|meets|met up|meet up|meeting up|{COMING_ROUND})\b.{{0,60}}\b({PLACES_ONLINE})\b|"
    rf"\b({PLACES_ONLINE})\b.{{0,60}}\b(meet|meeting|meet up|meeting up|{COMING_ROUND})\b"
    r"(?! (the|our) (rules|policy|standards))",
    re.I)
# Pornography is a cue (the model decides), not decisive: a child who saw it on a school computer is blocked content
# (section 7) as often as images passed around.
DECISIVE: dict[str, re.Pattern[str]] = {
    "danger": MEETING,
    "sexual_images": re.compile(rf"\b({IMAGES})\b", re.I),
}
ABSTRACT = re.compile(r"\b(polic(y|ies)|rules?|smart|teach(es|ing)?|taught|lessons?|curriculum|training|"
                      r"hypothetically|in general|say about)\b", re.I)


# Danger stated outright ("my daughter is in danger right now") and emergencies ("pupil collapsed, blue lips", "kid on
# the roof", "stranger in the playground"): a concern whatever the model says, even when it is all but certain of
# none (it reads a few words poorly), unless the message talks about the subject in general or asks about a procedure.
CHILD = r"(my|a|the|our|her|his) (little |baby |older |younger )?(sister|brother|son|daughter|child|kid|girl|boy|pupil)s?"
AMOUNT = r"(\d+ |a (whole )?(load|lot|bottle|packet|box|handful) of |loads of |lots of |all (of )?(the |my |mum'?s |dad'?s ))"
OUTRIGHT_DANGER = re.compile(
    r"\b(in (immediate |real |serious |grave )?danger\b(?! of)|(not|isn'?t|wasn'?t|stopped|has stopped) breathing|"
    r"(can'?t|cannot|can not|struggling to) breathe?\b(?! (through|out of) (his|her|my|their) nose)|"
    r"(?<!has )(?<!have )(?<!gets )(?<!get )blue lips\b(?! (after|when|from))|unconscious\b(?! bias)|"
    r"(he|she|they|baby|child|kid|pupil|boy|girl|lips|face)('?s| is| are| has| have|'ve)? (gone|going|turned|turning) blue|"
    r"(he|she|they|child|pupil|kid|boy|girl)('?s| is| are| was)? unresponsive|"
    r"(?<!gazebo )(?<!tent )(?<!marquee )(?<!stage )(?<!website )collaps(ed|ing)|"
    r"(is|he'?s|she'?s|started|keeps|child|pupil|kid|boy|girl) having (a )?(fits?|seizures?)\b(?! of)|having a (fit|"
    r"seizure) (now|right now|in the|on the|at the)|(is|he'?s|she'?s|keeps) (fitting|seizing)|"
    r"seizure (that )?(is )?(not stopping|won'?t stop)|seizure (on|in|at) the (field|playground|hall|classroom|pool|toilets)|"
    r"(having|gone into|going into|in) (an )?anaphyla\w*|(had to |have to )?use(d)? (his|her|their|an|the) epi[- ]?pen|"
    r"epi[- ]?pen (was |has been )?used|(kid|child|pupil|boy|girl|someone|is|he'?s|she'?s|started) choking|choking on|"
    r"swallowed (a |an |some )?(bleach|batter(y|ies)|button batter(y|ies)|magnets?|coins?)|(drank|drunk) (some )?bleach|"
    rf"(swallowed|took|taken|drank|drunk) {AMOUNT}(pills?|tablets?|paracetamol|medicine|capsules?)|"
    r"(?<!stuck )(?<!landed )(on|onto|up on|on top of) (the |a )?(\w+ )?roof\b(?![- ]?(garden|terrace|top)\b(?! (wall|edge|"
    r"railings?)))|(window|roof|bridge) ledge|(on|onto|sat on|sitting on|standing on) (the |a )?(railway |motorway )?"
    r"bridge (wall|edge|railings?)|on the edge of (the |a )?(bridge|roof|cliff)|"
    r"(on|onto|along|near|across) (the )?((train |railway )tracks?|tracks\b|(train|railway) line)|"
    r"drowning|(fell|fallen) (in|into|through) (the |a )?(river|canal|pool|lake|sea|reservoir|ice)|through the ice|"
    r"(on|onto|out on|walking on|skating on) (the |a )?frozen (pond|canal|lake|river|reservoir)|"
    r"(pond|canal|lake|river|reservoir) ice|(on|onto) the ice (on|at|of|in) the (pond|canal|lake|river|reservoir)|"
    r"ice('s| is)? (cracking|breaking|cracked)|"
    # a child lost, on a trip or anywhere: "lost a child at the zoo", "lost my group on the trip"
    r"lost (a|one of (the|my|our)) (child|pupil|kid)(ren|s)?\b(?!')|lost my (group|class|teacher)\b(?!'| chat)|"
    r"(can'?t|cannot|can not) find my (class|group|teacher)\b(?!'| chat)|"
    r"intruders?\b(?! alarms?)|(strangers?|unknown (man|woman|adult|person)) (in|on|inside|at) (the |our )?"
    r"(playground|school|site|grounds|field|building|classroom|gates?)|"
    r"(man|men|woman|women|someone|somebody|adult|boy|girl|kid|child|pupil|lad)s? with (a )?(knife|knives|gun|weapon|"
    r"blade|machete)|"
    # a child taken: "someone took my little sister from the playground", "a man grabbed a girl outside school"
    rf"(someone|somebody|a (man|woman|stranger)|some (man|woman|guy|bloke)|an adult) (has |just )?(took|taken) {CHILD}|"
    rf"(grabbed|snatched) {CHILD}|(dragged|bundled|pulled|put) {CHILD} (into|in) (a|his|her|their|the) (car|van)|"
    r"(taken|snatched|grabbed) by (a|some|an) (man|woman|stranger|adult))",
    re.I)
# ... unless the message talks about the subject in general (never "training", "lessons" or "practice" alone:
# emergencies happen at swimming lessons too).
IN_GENERAL = re.compile(r"\b(polic(y|ies)|rules? (on|about|for)|teach(es|ing)?\b(?! assistant)|taught|"
                        r"(?<!swimming )(?<!football )lessons? (on|about)|curriculum|hypothetically|in general|say about|"
                        r"(procedure|protocol|plan)s? (for|if|when|on)|drills? (for|on|about)|lockdown|in case|"
                        r"(first[- ]aid|awareness|epi[- ]?pen|safeguarding) (training|trained|course|kit)|"
                        r"what happens if|what would happen if|what if|practi[cs]ed? (hiding|drills?|for)|"
                        r"what (should|do|would|will|can) \w+ do if|"
                        r"who (looks after|deals with))\b", re.I)


def outright_danger(text: str) -> bool:
    rest = cleaned(text)
    return bool(OUTRIGHT_DANGER.search(rest)) and not IN_GENERAL.search(rest)


def decisive_kinds(text: str) -> list[str]:
    """Kinds whose words alone make a message a concern (after safe idioms and negations are taken out), unless
    the message talks about the subject in general ("what does the policy say about meeting people online?")."""
    rest = cleaned(text)
    if ABSTRACT.search(rest):
        return []
    return [kind for kind in KINDS if kind in DECISIVE and DECISIVE[kind].search(rest)]


def cleaned(text: str) -> str:
    """The text with safe idioms and negated concerns taken out (curly apostrophes, as phones send them, made plain)."""
    return NEGATED.sub(" ", SAFE_IDIOMS.sub(" ", text.replace("\u2019", "'")))


# "is it cyberbullying if ...", "what counts as bullying?", "accused of bullying?": the word names what is asked about,
# not something that happened, so it is no cue (the message's other words still are). Only when the question ends
# there or goes on with "if" or "or": "is that boy bullying my daughter" keeps its cue.
ASKED_ABOUT = {"bullying": re.compile(
    r"\b(is (it|this|that|being)( \w+){0,4}?|what('?s| is| counts as| does \w+ count as)|counts? as|"
    r"does (it|this|that) count as|accused of|class(ed)? as|mean by) (cyber ?|online )?bull(y|ying)\b"
    r"(?=\s*([?.!,]|$|(if|or|under|according)\b))", re.I)}


def cue_kinds(text: str) -> list[str]:
    """The kinds whose cues appear in the text, most serious first."""
    rest = cleaned(text)
    return [kind for kind in KINDS if CUES[kind].search(ASKED_ABOUT[kind].sub(" ", rest) if kind in ASKED_ABOUT else rest)]


def is_negated(text: str) -> bool:
    return bool(NEGATED.search(text))
