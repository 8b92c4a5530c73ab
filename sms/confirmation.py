"""The double opt-in text: asks the person to reply YES before any other text is sent.

It comes from a number they may not know, so it says who is texting and why in plain
words before it names a keyword: two bare commands from a stranger read like a scam.

It goes in the person's language, or in Welsh and English under the Welsh Language
Standards rule (`sms.text_language.wanted_languages`). YES and STOP stay in English in
every language: they are the keywords the phone network (Twilio) and Mend act on.

The English wording is the project's. The Welsh, Polish, Romanian and Arabic wording
below are machine-assisted drafts written by the Mend project: NOT yet checked by a
fluent speaker. A fluent speaker must check them before a service uses that language
(the README's "Languages" section says so too). They are service wording in code, not
templates, so they do not go through review in the app.
"""
from .text_language import render_languages, wanted_languages

CONFIRMATION_TEMPLATE = (
    "Hi {name}, it's {worker}. "
    "I'd like to text you now and then about our meetings, with no need to reply. "
    "Reply YES if that's OK, or STOP at any time."
)

# Machine-assisted drafts: NEEDS REVIEW BY A FLUENT SPEAKER (see the module docstring).
CONFIRMATION_TEMPLATES = {
    "en": CONFIRMATION_TEMPLATE,
    "cy": ("Helo {name}, {worker} sydd yma. "
           "Hoffwn anfon neges destun atoch weithiau am ein cyfarfodydd, heb angen ateb. "
           "Atebwch YES os yw hynny'n iawn, neu STOP unrhyw bryd."),
    "pl": ("Cześć {name}, tu {worker}. "
           "Chcę czasem pisać do Ciebie SMS-y o naszych spotkaniach, "
           "nie musisz odpowiadać. Odpisz YES, jeśli się zgadzasz, albo STOP w "
           "dowolnym momencie."),
    "ro": ("Bună {name}, sunt {worker}. "
           "Aș vrea să-ți trimit din când în când mesaje despre întâlnirile noastre, "
           "fără să fie nevoie să răspunzi. Răspunde YES dacă ești de acord, sau STOP "
           "oricând."),
    "ar": ("مرحباً {name}، معك {worker}. "
           "أود أن أراسلك أحياناً بخصوص لقاءاتنا، ولا داعي للرد. "
           "يمكنك الرد بـ YES إذا كان ذلك مناسباً لك، أو STOP في أي وقت."),
}


def confirmation_text(*, name, worker, service="", language=None, welsh_standards=False,
                      welsh_first=True):
    """The rendered confirmation text in the person's language (`language`: their
    recorded choice, None when not asked), bilingual under the Welsh Language
    Standards rule; `service` is empty unless they agreed it may be named."""
    languages = [code for code in wanted_languages(language, welsh_standards=welsh_standards,
                                                   welsh_first=welsh_first)
                 if code in CONFIRMATION_TEMPLATES] or ["en"]
    return render_languages(
        [(code, CONFIRMATION_TEMPLATES[code]) for code in languages],
        lambda code: {"name": name, "worker": worker, "service": service})
