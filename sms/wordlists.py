"""What the checks look for in a text written in Welsh, Polish, Romanian or Arabic.

These lists were written by the Mend project from the English lists in `sms/checks.py`
and the practice guidance, NOT by a fluent speaker of each language, and have not been
reviewed by one. They catch the obvious (a label, a demand, a word about someone's
situation); they cannot judge tone. Until a fluent speaker has reviewed a language's
list, the reviewer's approval in the app is the real check for that language, and the
template page says so (`checks.notes_for`). Corrections from fluent speakers are welcome:
add the phrase and a test in tests/test_checks_languages.py.

Each entry is a regular expression matched as whole words, case-insensitively. Arabic
entries may carry a joined prefix (و ف ب ل ك and ال), which `checks` allows for.
"""

WELSH = {
    "blame": (
        r"(?:ar )?(?:dy|eich) fai(?: di| chi)?", r"bai arnat ti", r"bai arnoch chi",
        r"(?:dy|eich) ymddygiad", r"ymddygiad annerbyniol", r"annerbyniol", r"amhriodol",
        r"ymosodol", r"anodd (?:ei|eu) cyrraedd", r"ddim yn ymgysylltu",
        r"ymwrthod â thriniaeth", r"tawela", r"ymdawelwch", r"callia", r"callwch",
        r"rwyt ti (?:wastad|bob amser|byth)", r"rydych chi (?:wastad|bob amser|byth)",
        r"(?:gwrthodaist|methaist) ti", r"(?:gwnest|wnest) ti (?:wrthod|fethu)",
        r"(?:gwnaethoch|wnaethoch) chi (?:wrthod|fethu)", r"gorymateb", r"rhy sensitif",
        r"ceisio sylw", r"ystrywgar", r"anhrefnus", r"di-drefn",
    ),
    "demands": (
        r"rhaid i (?:ti|chi)", r"mae angen i (?:ti|chi)", r"dylet ti", r"dylech chi",
        r"atebwch fi", r"ateba fi", r"atebwch nawr", r"ateba nawr", r"ffonia fi",
        r"ffoniwch fi", r"rho wybod", r"rhowch wybod", r"gad i mi wybod",
        r"gadewch i mi wybod", r"cysyllta â mi", r"cysylltwch â mi",
        r"mae angen i ni siarad", r"cyn gynted â phosib(?:l)?", r"ar unwaith", r"yn syth",
        r"ar frys", r"(?<!dim )brys", r"paid (?:ag )?anghofio", r"peidiwch ag anghofio",
        r"gwna'n siŵr", r"gwnewch yn siŵr", r"wela i (?:di|chi)", r"dw i'n disgwyl",
        r"rwy'n disgwyl",
    ),
    "deadlines": (
        r"(?:erbyn|cyn) (?:d?dydd \w+|yfory|heno|heddiw|diwedd yr wythnos|\d{1,2}(?::\d\d)?\s*(?:am|pm|yb|yh)?)",
        r"dyddiad cau", r"cyfle olaf", r"rhybudd olaf",
    ),
    "sensitive": (
        r"digartref(?:edd)?", r"cysgu (?:allan|ar y stryd)", r"hostel(?:i)?", r"lloches",
        r"iechyd meddwl", r"seiciatr\w*", r"seicolegydd", r"cyffuriau", r"cyffur",
        r"alcohol(?:ig)?", r"caethiwed", r"dibyniaeth", r"adsefydlu", r"methadon",
        r"sylweddau", r"(?:swyddog|gwasanaeth) prawf", r"carchar", r"parôl", r"therapi",
        r"therapydd", r"cwnsela", r"cwnselydd", r"gorddos", r"budd-daliadau",
        r"credyd cynhwysol", r"hunan-niwed", r"hunanladdiad", r"argyfwng", r"diagnosis",
        r"meddyginiaeth", r"gwasanaethau cymdeithasol", r"diogelu", r"gwahardd\w*",
        r"heddlu", r"ysbyty", r"troi(?:'ch| eich| dy)? allan",
    ),
    "intimate": (
        r"(?:yn )?meddwl amdanat ti", r"(?:yn )?meddwl amdanoch chi",
        r"(?:dw i'n |rwy'n )?(?:dy|eich) golli", r"(?:dw i'n |rwy'n )?(?:dy|eich) garu",
        r"caru ti", r"(?:eisiau|moyn|edrych ymlaen at) (?:dy|eich) weld",
        r"(?:dw i |rwy )?(?:dy|eich) angen", r"cysga'n dda", r"cysgwch yn dda",
        r"breuddwydion melys", r"cwtsh(?:ys)?", r"x{2,4}",
    ),
    "no_reply": r"(?:does )?dim (?:angen|rhaid) (?:i (?:ti|chi) )?ateb",
    "greeting": r"^(?:helo|haia|shwmae|s'mae|sut mae|annwyl|bore da|prynhawn da|noswaith dda)\b[ ,]*",
    "sign_off": (r"(?:\b{name} sy(?:dd)? ?'?(?:ma|yma)\b|\b(?:dyma|gan|oddi wrth|cofion|diolch),?"
                 r"\s+{name}\b|\b{name} yma\b|(?:^|\n)\s*-?\s*{name}\s*$)"),
    "days": (
        r"heddiw", r"yfory", r"heno", r"ddoe", r"neithiwr", r"(?:bore|prynhawn) (?:'ma|yma)",
        r"d?dydd (?:llun|mawrth|mercher|iau|gwener|sadwrn|sul)",
        r"nos (?:lun|fawrth|fercher|iau|wener|sadwrn|sul)",
        r"(?:yr )?wythnos (?:hon|nesaf|diwethaf)", r"penwythnos",
    ),
}

POLISH = {
    "blame": (
        r"twoje zachowanie", r"twoja wina", r"nie angażuj\w*", r"trudno dostępn\w*",
        r"oporn\w*", r"uspokój się", r"(?:ty )?zawsze (?:to )?robisz", r"ty zawsze",
        r"ty nigdy", r"manipul\w*", r"agresywn\w*", r"nieakceptowaln\w*", r"niewłaściw\w*",
        r"przesadzasz", r"przesadził(?:eś|aś)", r"zbyt wrażliw\w*", r"odmówił(?:eś|aś)",
        r"zawiodł(?:eś|aś)", r"szukasz uwagi", r"chaotyczn\w*", r"roszczeniow\w*",
    ),
    "demands": (
        r"(?<!nie )musisz", r"powinieneś", r"powinnaś", r"odpisz", r"odpowiedz(?: mi)?",
        r"oddzwoń", r"zadzwoń(?: do mnie)?", r"daj(?: mi)? znać", r"proszę (?:odpisać|odpowiedzieć|oddzwonić)",
        r"musimy porozmawiać", r"jak najszybciej", r"natychmiast", r"piln(?:ie|e|y)",
        r"od razu", r"nie zapomnij", r"upewnij się", r"oczekuję", r"do zobaczenia",
    ),
    "deadlines": (
        r"do (?:jutra|dzisiaj|dziś|poniedziałku|wtorku|środy|czwartku|piątku|soboty|niedzieli|końca tygodnia|godziny \d{1,2}|\d{1,2}(?::\d\d)?)",
        r"ostateczny termin", r"ostatnia szansa", r"ostatnie ostrzeżenie",
    ),
    "sensitive": (
        r"bezdomn\w*", r"noclegowni\w*", r"hostel\w*", r"schronisk\w*", r"zdrowi\w* psychiczn\w*",
        r"psychiatr\w*", r"psycholog\w*", r"narkotyk\w*", r"alkohol\w*", r"uzależni\w*",
        r"odwyk\w*", r"detoks\w*", r"metadon\w*", r"kurator\w*", r"więzieni\w*",
        r"terapi\w*", r"terapeut\w*", r"przedawkow\w*", r"zasiłk\w*", r"samookalecz\w*",
        r"samobój\w*", r"kryzys\w*", r"diagnoz\w*", r"lek(?:i|ów|ami)",
        r"(?:opiek\w*|pomoc\w*) społeczn\w*", r"polic\w*", r"szpital\w*", r"eksmi\w*",
        r"wyrzucon\w*", r"zakaz wstępu",
    ),
    "intimate": (
        r"myślę o tobie", r"tęsknię(?: za tobą)?", r"kocham cię", r"chcę cię zobaczyć",
        r"nie mogę się doczekać", r"potrzebuję cię", r"słodkich snów", r"dobranoc",
        r"buziaki", r"całuję", r"przytulam", r"x{2,4}",
    ),
    "no_reply": r"nie (?:trzeba|musisz) (?:odpisywać|odpowiadać)",
    "greeting": r"^(?:cześć|dzień dobry|witaj|witam|hej|siema)\b[ ,]*",
    "sign_off": (r"(?:\b(?:tu|z tej strony|pisze|od|pozdrawiam|dzięki),?\s+{name}\b|"
                 r"\b{name} z tej strony\b|(?:^|\n)\s*-?\s*{name}\s*$)"),
    "days": (
        r"dzisiaj", r"dziś", r"jutro", r"wczoraj", r"poniedział(?:ek|ku)", r"wtor(?:ek|ku)",
        r"środ(?:a|ę|y|zie)", r"czwart(?:ek|ku)", r"piąt(?:ek|ku)", r"sobot(?:a|ę|y)",
        r"niedziel(?:a|ę|i)", r"w (?:tym|przyszłym|zeszłym) tygodniu", r"weekend\w*",
    ),
}

ROMANIAN = {
    "blame": (
        r"comportamentul (?:tău|dumneavoastră)", r"(?:e |este )?vina ta", r"nu te implici",
        r"greu de (?:contactat|abordat)", r"rezistent\w* la tratament", r"calmează-te",
        r"liniștește-te", r"(?:tu )?mereu faci", r"tu mereu", r"tu niciodată",
        r"manipulat\w*", r"agresiv\w*", r"inacceptabil\w*", r"nepotrivit\w*", r"exagerezi",
        r"ai exagerat", r"prea sensibil\w*", r"ai refuzat", r"nu ai reușit", r"ai greșit",
        r"cauți atenție", r"haotic\w*",
    ),
    "demands": (
        r"(?<!nu )trebuie să", r"ar trebui să", r"răspunde-mi", r"răspunde acum",
        r"sună-mă", r"dă-mi de veste", r"anunță-mă", r"te rog să (?:răspunzi|suni)",
        r"trebuie să vorbim", r"cât mai (?:repede|curând)", r"urgent\w*", r"imediat",
        r"neapărat", r"nu uita", r"asigură-te", r"mă aștept", r"ne vedem",
    ),
    "deadlines": (
        r"până (?:mâine|azi|astăzi|diseară|luni|marți|miercuri|joi|vineri|sâmbătă|duminică|la sfârșitul săptămânii|la (?:ora )?\d{1,2}(?::\d\d)?)",
        r"termen(?:ul)? limită", r"ultima șansă", r"ultimul avertisment",
    ),
    "sensitive": (
        r"fără adăpost", r"dorm\w* pe stradă", r"adăpost\w*", r"cămin\w*",
        r"sănătat\w* mintal\w*", r"sănătat\w* mentală", r"psihiatr\w*", r"psiholog\w*",
        r"drog\w*", r"alcool\w*", r"dependen\w*", r"dezintoxicare", r"metadon\w*",
        r"substanțe", r"probațiune", r"închisoare", r"pușcărie", r"terapi\w*",
        r"terapeut\w*", r"consiliere", r"supradoz\w*", r"ajutor\w* social\w*",
        r"beneficii", r"autovătămare", r"sinucid\w*", r"suicid\w*", r"criz\w*",
        r"diagnostic\w*", r"medicament\w*", r"servici\w* sociale", r"poliți\w*",
        r"spital\w*", r"evacua\w*", r"dat afară", r"interzis\w*",
    ),
    "intimate": (
        r"mă gândesc la tine", r"mi-e dor de tine", r"te iubesc", r"vreau să te văd",
        r"abia aștept să te văd", r"am nevoie de tine", r"vise plăcute", r"noapte bună",
        r"te pup", r"pupici", r"te îmbrățișez", r"x{2,4}",
    ),
    "no_reply": r"nu (?:e|este) nevoie (?:să (?:răspunzi|răspundeți)|de răspuns)|nu trebuie să răspunzi",
    "greeting": r"^(?:bună(?: ziua| dimineața| seara)?|salut(?:are)?|hei)\b[ ,]*",
    "sign_off": (r"(?:\b(?:sunt|aici e|aici este|de la|mulțumesc|cu drag|numai bine),?\s+{name}\b|"
                 r"\b{name} aici\b|(?:^|\n)\s*-?\s*{name}\s*$)"),
    "days": (
        r"azi", r"astăzi", r"mâine", r"ieri", r"diseară", r"aseară",
        r"(?:în )?(?:seara|dimineața) asta", r"luni", r"marți", r"miercuri", r"joi",
        r"vineri", r"sâmbătă", r"duminică", r"săptămâna (?:asta|aceasta|viitoare|trecută)",
        r"weekend\w*",
    ),
}

ARABIC = {
    "blame": (
        r"سلوكك", r"تصرفاتك", r"خطؤك", r"غلطتك", r"ذنبك", r"صعب الوصول إليه", r"غير متعاون\w*",
        r"اهدأ", r"اهدئي", r"أنت دائما", r"أنت دائماً", r"عدواني\w*", r"عدائي\w*",
        r"غير مقبول\w*", r"غير لائق\w*", r"متلاعب\w*", r"تبالغ\w*", r"حساس\w* جدا",
        r"لفت الانتباه",
    ),
    "demands": (
        r"يجب عليك", r"يجب أن", r"لازم", r"عليك أن", r"رد علي", r"ردّ علي", r"ردي علي",
        r"اتصل بي", r"اتصلي بي", r"أخبرني", r"أخبريني", r"طمني", r"يجب أن نتحدث",
        r"في أقرب وقت", r"فورا", r"فوراً", r"حالا", r"حالاً", r"عاجل", r"بسرعة", r"لا تنس",
        r"لا تنسي", r"تأكد", r"أتوقع منك", r"أراك", r"نراك",
    ),
    "deadlines": (
        r"(?:قبل|بحلول) (?:الغد|غد|الليلة|نهاية الأسبوع|يوم \w+|الساعة \d{1,2})",
        r"آخر موعد", r"الموعد النهائي", r"آخر فرصة", r"إنذار أخير",
    ),
    "sensitive": (
        r"مشرد\w*", r"تشرد", r"بلا مأوى", r"النوم في الشارع", r"ملجأ", r"مأوى",
        r"صحة النفسية", r"صحة العقلية", r"طبيب نفسي", r"طب نفسي", r"مخدرات", r"كحول",
        r"إدمان", r"مدمن\w*", r"إعادة التأهيل", r"ميثادون", r"سجن", r"مراقبة السلوك",
        r"علاج نفسي", r"معالج\w* نفسي\w*", r"جرعة زائدة", r"إعانات", r"ائتمان الشامل",
        r"إيذاء النفس", r"انتحار\w*", r"أزمة", r"تشخيص", r"أدوية", r"خدمات الاجتماعية",
        r"شرطة", r"مستشفى", r"طرد\w* من", r"إخلاء", r"ممنوع من",
    ),
    "intimate": (
        r"أفكر فيك", r"اشتقت (?:إليك|لك)", r"أحبك", r"أريد أن أراك", r"لا أطيق الانتظار",
        r"أحتاجك", r"أحلام سعيدة", r"تصبح(?:ين)? على خير", r"قبلات", r"أحضان", r"x{2,4}",
    ),
    "no_reply": r"لا (?:داعي|حاجة) (?:للرد|إلى الرد|لأن تردّ?)",
    "greeting": r"^(?:مرحب[\w\u064B-\u065F]*|أهل[\w\u064B-\u065F]*|السلام عليكم|صباح الخير|مساء الخير)[ ,،]*",
    "sign_off": (r"(?:(?:أنا|معك|من|مع تحياتي|شكرا|شكراً)[،,]?\s+{name}\b|"
                 r"(?:^|\n)\s*-?\s*{name}\s*$)"),
    "days": (
        r"[وفب]?اليوم", r"غدا", r"غداً", r"بكرة", r"[وفب]?(?:ال)?أمس", r"البارحة", r"الليلة",
        r"هذا المساء", r"هذا الصباح", r"يوم (?:ال)?[اإ]ثنين", r"[وفب]?(?:يوم )?(?:ال)?ثلاثاء",
        r"[وفب]?(?:يوم )?(?:ال)?أربعاء", r"[وفب]?(?:يوم )?(?:ال)?خميس", r"[وفب]?(?:يوم )?الجمعة",
        r"[وفب]?(?:يوم )?السبت", r"[وفب]?(?:يوم )?الأحد", r"هذا الأسبوع",
        r"الأسبوع (?:القادم|الماضي)", r"نهاية الأسبوع",
    ),
}

BY_LANGUAGE = {"cy": WELSH, "pl": POLISH, "ro": ROMANIAN, "ar": ARABIC}

# Arabic joins some words to the next one: "and", "so", "with", "for", "like", "the".
ARABIC_PREFIX = r"(?:[وفبلك]?ال|[وفبلك]|لل)?"
