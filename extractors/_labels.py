"""The words pages use to label boilerplate, per language: "Read more:", "Advertisement", "Comments", "Photo:".

Data only; extractors/_boilerplate.py compiles the labels of a page's language (with English, which sites in every
language use for buttons and ad slots) into its text-shape rules. Structure does most of the pruning (tags,
class words, numbered galleries); these labels catch what markup does not name. Each list holds whole labels as
sites print them, matched case-insensitively and as a whole line or a line's start, never inside a sentence.
Sources: the labels of major news sites in each language, 2026-12 (ko, he, el, th, tr, vi, pl, id, uk, sv, da, no,
fi, cs, ro, hu: 2026-12, from the reviewers' multilingual repros and those languages' common wording); add a
language by adding an entry.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class Labels:
    """Boilerplate labels of one language."""

    related_prefix: tuple[str, ...] = ()  # a line starting "<label>: <headline>" is a related link
    related_heading: tuple[str, ...] = ()  # a heading over a list of related stories
    comments_heading: tuple[str, ...] = ()  # a heading over the comments
    ad_label: tuple[str, ...] = ()  # a line that is only this labels an ad slot
    share: tuple[str, ...] = ()  # words of share and print buttons
    # Phrases of cookie banners and newsletter sign-ups, matched anywhere in a short paragraph: the banner's own
    # words ("ce site utilise des cookies", "abonnez-vous à notre..."), not words a story uses of another site
    # ("le site utilise des cookies publicitaires", "une lettre d'information mensuelle": both were lost).
    cookie: tuple[str, ...] = ()
    newsletter: tuple[str, ...] = ()
    # "<label>: <credit>" ends a photo caption. Every language's are looked for on every page (_shapes._PHOTO): a
    # language's everyday word for a picture ("kuva", "kép", "bilde", "fotografie") would take "… ein Bild: …"-like
    # phrases of other languages for credits, so only the words credits are printed with belong here.
    photo: tuple[str, ...] = ()
    rights: tuple[str, ...] = ()  # the footer's copyright line


def _site_says(whose: tuple[str, ...], sites: tuple[str, ...], verbs: tuple[str, ...], what: str) -> tuple[str, ...]:
    """A banner's sentence in every form it takes: "this/our" + "site/website" + "uses" + "cookies"."""
    return tuple(" ".join(filter(None, (w, s, v, what))) for w in whose for s in sites for v in verbs)


LABELS: dict[str, Labels] = {
    "en": Labels(
        related_prefix=(
            "read more",
            "more on this",
            "more on this story",
            "related",
            "related article",
            "related articles",
            "related stories",
            "related story",
            "related content",
            "related coverage",
            "see also",
            "read also",
            "also read",
            "read next",
            "recommended",
            "don't miss",
            "see more",
            "watch",
            "listen",
        ),
        related_heading=(
            "related",
            "related articles",
            "related stories",
            "related content",
            "related coverage",
            "related news",
            "related links",
            "related reading",
            "related topics",
            "more on this",
            "more on this story",
            "more on this topic",
            "you may also like",
            "you might also like",
            "recommended",
            "recommended for you",
            "recommended stories",
            "recommended reading",
            "read next",
            "most read",
            "most popular",
            "most viewed",
            "most shared",
            "trending",
            "trending now",
            "what to read next",
            "up next",
            "keep reading",
            "continue reading",
            "more stories",
            "latest news",
            "latest stories",
            "latest articles",
            "latest posts",
            "recent articles",
            "recent posts",  # WordPress's default sidebar widget
            "recent stories",
            "top stories",
            "more news",
            "don't miss",  # express.co.uk's in-story list of links, the label in a <p> of its own
        ),
        # Not "comment" alone: a story's subheading ("Comment": how to send the council one) is as likely.
        # "1 Comment" is read as its plural (Shapes.line_kind).
        comments_heading=(
            "comments",
            "join the discussion",
            "leave a comment",
            "post a comment",
            "join the conversation",
        ),
        ad_label=(
            "advertisement",
            "advertising",
            "ad",
            "sponsored",
            "sponsored content",
            "promoted",
            "story continues below",
            "story continues below advertisement",
            "continue reading the main story",
            "continue reading below",
            "scroll to continue",
            "scroll to continue with content",
        ),
        share=(
            "share",
            "shares",
            "tweet",
            "email",
            "e-mail",
            "print",
            "copy link",
            "facebook",
            "twitter",
            "whatsapp",
            "linkedin",
            "pinterest",
            "reddit",
            "messenger",
            "flipboard",
            "on",
            "via",
            "this",
            "article",
            "story",
            "x",
        ),
        cookie=(
            "we use cookies",
            "this site uses cookies",
            "this website uses cookies",
            "our site uses cookies",
            "cookie policy",
            "cookie settings",
            "cookie preferences",
        ),
        newsletter=(
            "sign up to our newsletter",
            "sign up for our newsletter",
            "subscribe to our newsletter",
            "subscribe to the newsletter",
            "sign up to the newsletter",
            "sign up for the newsletter",
        ),
        photo=("photo", "photos", "photograph", "photographs", "image", "picture", "pic", "credit", "photo credit"),
        rights=("all rights reserved",),
    ),
    "de": Labels(
        related_prefix=(
            "lesen sie auch",
            "lesen sie mehr",
            "mehr zum thema",
            "auch interessant",
            "weiterlesen",
            "siehe auch",
            "das könnte sie auch interessieren",
        ),
        related_heading=(
            "mehr zum thema",
            "das könnte sie auch interessieren",
            "weitere artikel",
            "meistgelesen",
            "meist gelesen",
            "empfohlene artikel",
            "auch interessant",
            "verwandte artikel",
            "neueste artikel",
            "top-themen",
        ),
        comments_heading=("kommentare", "kommentar schreiben", "leserkommentare", "diskutieren sie mit"),
        ad_label=(
            "anzeige",
            "werbung",
            "gesponsert",
            "bezahlter inhalt",
            "weiter nach der anzeige",
            "artikel wird unterhalb der anzeige fortgesetzt",
        ),
        share=("teilen", "artikel teilen", "drucken", "versenden", "mailen", "twittern"),
        cookie=(
            *_site_says(
                ("diese", "unsere"),
                ("seite", "webseite", "website", "internetseite"),
                ("verwendet", "nutzt", "benutzt"),
                "cookies",
            ),
            "dieses angebot nutzt cookies",
            "dieses angebot verwendet cookies",
            "wir verwenden cookies",
            "wir nutzen cookies",
            "cookie-einstellungen",
            "datenschutzeinstellungen",
        ),
        newsletter=(
            "newsletter abonnieren",
            "zum newsletter anmelden",
            "jetzt newsletter",
        ),
        photo=("foto", "fotos", "bild", "bildquelle"),
        rights=("alle rechte vorbehalten",),
    ),
    "fr": Labels(
        related_prefix=(
            "lire aussi",
            "à lire aussi",
            "a lire aussi",
            "lire la suite",
            "voir aussi",
            "sur le même sujet",
            "à voir aussi",
        ),
        related_heading=(
            "sur le même sujet",
            "à lire aussi",
            "les plus lus",
            "articles similaires",
            "dans la même rubrique",
            "vous aimerez aussi",
            "à découvrir",
            "les plus partagés",
            "dernières actualités",
        ),
        comments_heading=("commentaires", "réagir", "laisser un commentaire", "réactions"),
        ad_label=("publicité", "annonce", "contenu sponsorisé", "sponsorisé"),
        share=("partager", "partagez", "imprimer", "envoyer", "tweeter"),
        cookie=(
            *_site_says(("ce", "notre"), ("site", "site web", "site internet"), ("utilise",), "des cookies"),
            "utilisons des cookies",
            "gestion des cookies",
            "paramètres des cookies",
        ),
        newsletter=(
            "inscrivez-vous à la newsletter",
            "abonnez-vous à notre newsletter",
            "notre lettre d'information",
            "à la lettre d'information",
            "recevez la lettre d'information",
        ),
        photo=("photo", "crédit photo", "crédits photo", "crédit", "image"),
        rights=("tous droits réservés",),
    ),
    "es": Labels(
        related_prefix=(
            "lee también",
            "lea también",
            "leer más",
            "te puede interesar",
            "le puede interesar",
            "ver también",
            "más información",
            "noticias relacionadas",
        ),
        related_heading=(
            "noticias relacionadas",
            "lo más leído",
            "más leídas",
            "te puede interesar",
            "artículos relacionados",
            "contenido relacionado",
            "últimas noticias",
            "más noticias",
        ),
        comments_heading=("comentarios", "deja tu comentario", "comenta"),
        ad_label=("publicidad", "anuncio", "contenido patrocinado", "patrocinado"),
        share=("compartir", "comparte", "imprimir", "enviar", "tuitear"),
        cookie=(
            *_site_says(("este",), ("sitio", "sitio web", "site", "portal"), ("utiliza", "usa"), "cookies"),
            *_site_says(("esta",), ("web", "página", "página web"), ("utiliza", "usa"), "cookies"),
            *_site_says(("nuestra",), ("web", "página", "página web"), ("utiliza", "usa"), "cookies"),
            *_site_says(("nuestro",), ("sitio", "sitio web", "portal"), ("utiliza", "usa"), "cookies"),
            "usamos cookies",
            "utilizamos cookies",
            "política de cookies",
            "configuración de cookies",
        ),
        newsletter=(
            "suscríbete a nuestro boletín",
            "suscríbete a la newsletter",
            "recibe nuestro boletín",
        ),
        photo=("foto", "fotografía", "imagen", "crédito"),
        rights=("todos los derechos reservados",),
    ),
    "it": Labels(
        related_prefix=("leggi anche", "vedi anche", "potrebbe interessarti", "approfondisci", "leggi di più"),
        related_heading=(
            "articoli correlati",
            "i più letti",
            "più letti",
            "potrebbe interessarti anche",
            "ti potrebbe interessare",
            "notizie correlate",
            "ultime notizie",
        ),
        comments_heading=("commenti", "lascia un commento"),
        ad_label=("pubblicità", "contenuto sponsorizzato", "sponsorizzato"),
        share=("condividi", "stampa", "invia"),
        cookie=(
            *_site_says(
                ("questo", "il nostro"),
                ("sito", "sito web", "sito internet", "portale"),
                ("utilizza", "usa"),
                "i cookie",
            ),
            *_site_says(
                ("questo", "il nostro"), ("sito", "sito web", "sito internet", "portale"), ("utilizza", "usa"), "cookie"
            ),
            "usiamo i cookie",
            "utilizziamo i cookie",
            "cookie policy",
        ),
        newsletter=("iscriviti alla newsletter",),
        photo=("foto", "immagine", "credito"),
        rights=("tutti i diritti riservati", "riproduzione riservata"),
    ),
    "pt": Labels(
        related_prefix=("leia também", "leia mais", "veja também", "saiba mais", "confira também"),
        related_heading=(
            "notícias relacionadas",
            "mais lidas",
            "mais lidos",
            "veja também",
            "leia também",
            "últimas notícias",
            "relacionadas",
        ),
        comments_heading=("comentários", "deixe seu comentário", "comente"),
        ad_label=("publicidade", "anúncio", "conteúdo patrocinado", "patrocinado"),
        share=("compartilhar", "compartilhe", "partilhar", "imprimir", "enviar"),
        cookie=(
            *_site_says(
                ("este", "o nosso", "nosso"),
                ("site", "website", "sítio", "sítio web", "portal"),
                ("utiliza", "usa"),
                "cookies",
            ),
            *_site_says(("esta",), ("página",), ("utiliza", "usa"), "cookies"),
            "usamos cookies",
            "utilizamos cookies",
            "política de cookies",
        ),
        newsletter=(
            "assine a newsletter",
            "inscreva-se na newsletter",
            "receba a newsletter",
        ),
        photo=("foto", "imagem", "crédito"),
        rights=("todos os direitos reservados",),
    ),
    "nl": Labels(
        related_prefix=("lees ook", "lees meer", "bekijk ook", "zie ook", "meer over"),
        related_heading=(
            "meer over dit onderwerp",
            "meest gelezen",
            "gerelateerde artikelen",
            "lees ook",
            "ook interessant",
            "laatste nieuws",
        ),
        comments_heading=("reacties", "reageer", "plaats een reactie"),
        ad_label=("advertentie", "gesponsord", "gesponsorde inhoud"),
        share=("delen", "deel", "printen", "mailen"),
        cookie=(
            *_site_says(
                ("deze", "onze"), ("website", "site", "pagina", "webshop"), ("gebruikt", "maakt gebruik van"), "cookies"
            ),
            "wij gebruiken cookies",
            "we gebruiken cookies",
            "wij maken gebruik van cookies",
            "we maken gebruik van cookies",
            "cookie-instellingen",
            "cookiebeleid",
        ),
        newsletter=("schrijf je in voor de nieuwsbrief", "meld je aan voor de nieuwsbrief"),
        photo=("foto", "beeld", "afbeelding"),
        rights=("alle rechten voorbehouden",),
    ),
    "ru": Labels(
        related_prefix=("читайте также", "читать также", "смотрите также", "читайте подробнее", "по теме"),
        related_heading=(
            "читайте также",
            "по теме",
            "самое читаемое",
            "популярное",
            "похожие новости",
            "похожие материалы",
            "другие новости",
            "последние новости",
            "новости по теме",
        ),
        comments_heading=("комментарии", "оставить комментарий", "обсуждение"),
        ad_label=("реклама", "спонсорский материал", "на правах рекламы"),
        share=("поделиться", "печать", "отправить"),
        cookie=("использует cookie", "использует файлы cookie", "использует куки"),
        newsletter=(
            "подпишитесь на рассылку",
            "подписаться на рассылку",
            # The site's call to follow it elsewhere ("Подписывайтесь на наш Telegram-канал"): "our", "us".
            "подписывайтесь на наш канал",
            "подпишитесь на наш канал",
            "подписывайтесь на наш telegram",
            "подпишитесь на наш telegram",
            "подписывайтесь на нас",
            "подпишитесь на нас",
        ),
        photo=("фото", "фотография", "изображение", "иллюстрация"),
        rights=("все права защищены",),
    ),
    "sv": Labels(
        related_prefix=("läs också", "läs även", "läs mer"),
        related_heading=("läs också", "mest läst", "relaterade artiklar", "senaste nytt", "fler nyheter"),
        comments_heading=("kommentarer", "kommentera"),
        ad_label=("annons", "sponsrat innehåll", "annonssamarbete"),
        share=("dela", "skriv ut"),
        cookie=("använder cookies", "använder kakor"),
        newsletter=("prenumerera på vårt nyhetsbrev", "anmäl dig till vårt nyhetsbrev"),
        photo=("foto", "bild"),
        rights=("alla rättigheter förbehållna",),
    ),
    "da": Labels(
        related_prefix=("læs også", "læs mere"),
        related_heading=("læs også", "mest læste", "relaterede artikler", "seneste nyt"),
        comments_heading=("kommentarer", "skriv en kommentar"),
        ad_label=("annonce", "sponsoreret indhold"),
        share=("del", "print"),
        cookie=("bruger cookies",),
        newsletter=("tilmeld dig vores nyhedsbrev", "tilmeld dig nyhedsbrevet"),
        photo=("foto",),
        rights=("alle rettigheder forbeholdes",),
    ),
    "no": Labels(  # Bokmål and Nynorsk (nb, nn) too
        related_prefix=("les også", "les mer"),
        related_heading=("les også", "mest lest", "relaterte artikler", "siste nytt"),
        comments_heading=("kommentarer", "kommenter"),
        ad_label=("annonse", "sponset innhold", "annonsørinnhold"),
        share=("del", "skriv ut"),
        cookie=("bruker informasjonskapsler", "bruker cookies"),
        newsletter=("meld deg på nyhetsbrevet", "abonner på nyhetsbrevet"),
        photo=("foto",),
        rights=("alle rettigheter forbeholdt",),
    ),
    "fi": Labels(
        related_prefix=("lue myös", "lue lisää"),
        related_heading=("lue myös", "luetuimmat", "aiheeseen liittyvät", "uusimmat"),
        comments_heading=("kommentit", "kommentoi"),
        ad_label=("mainos", "kaupallinen yhteistyö"),
        share=("jaa", "tulosta"),
        cookie=("käyttää evästeitä",),
        newsletter=("tilaa uutiskirje", "tilaa uutiskirjeemme"),
        photo=("foto",),
        rights=("kaikki oikeudet pidätetään",),
    ),
    "cs": Labels(
        related_prefix=("čtěte také", "čtěte též", "přečtěte si také", "související"),
        related_heading=("související články", "nejčtenější", "mohlo by vás zajímat", "čtěte také"),
        comments_heading=("diskuse", "komentáře"),
        ad_label=("reklama", "komerční sdělení", "pr", "pr článek"),
        share=("sdílet", "tisk"),
        cookie=("používá cookies", "soubory cookie"),
        newsletter=("přihlaste se k odběru newsletteru",),
        photo=("foto",),
        rights=("všechna práva vyhrazena",),
    ),
    "ro": Labels(
        related_prefix=("citește și", "citeste si", "vezi și", "vezi si", "citește mai mult"),
        related_heading=("cele mai citite", "articole similare", "citește și", "știri similare"),
        comments_heading=("comentarii", "lasă un comentariu"),
        ad_label=("publicitate", "advertorial"),
        share=("distribuie", "printează"),
        cookie=("folosește cookie-uri", "utilizează cookie-uri"),
        newsletter=("abonează-te la newsletter",),
        photo=("foto", "sursa foto"),
        rights=("toate drepturile rezervate",),
    ),
    "hu": Labels(
        related_prefix=("kapcsolódó", "olvasd el", "ezt is ajánljuk"),
        related_heading=("kapcsolódó cikkek", "legolvasottabb", "friss hírek", "ajánló"),
        comments_heading=("hozzászólások", "kommentek"),
        ad_label=("hirdetés", "szponzorált tartalom", "pr", "pr cikk"),
        share=("megosztás", "nyomtatás"),
        cookie=("sütiket használ", "cookie-kat használ"),
        newsletter=("iratkozzon fel hírlevelünkre",),
        photo=("fotó",),
        rights=("minden jog fenntartva",),
    ),
    "uk": Labels(
        related_prefix=("читайте також", "дивіться також", "читайте більше", "за темою"),
        related_heading=(
            "читайте також",
            "за темою",
            "новини за темою",
            "найпопулярніше",
            "популярне",
            "схожі новини",
            "інші новини",
            "останні новини",
        ),
        comments_heading=("коментарі", "залишити коментар", "обговорення"),
        ad_label=("реклама", "на правах реклами", "спонсорський матеріал"),
        share=("поділитися", "друк", "надіслати"),
        cookie=("використовує cookie", "використовує файли cookie"),
        newsletter=("підпишіться на розсилку", "підписатися на розсилку"),
        photo=("фото", "фотографія", "зображення", "ілюстрація"),
        rights=("всі права захищені", "усі права захищені", "всі права захищено"),
    ),
    "ar": Labels(
        related_prefix=("اقرأ أيضا", "اقرأ أيضاً", "إقرأ أيضا", "إقرأ أيضاً", "اقرأ ايضا", "اقرأ المزيد", "شاهد أيضا"),
        related_heading=(
            "أخبار ذات صلة",
            "مواضيع ذات صلة",
            "مقالات ذات صلة",
            "الأكثر قراءة",
            "الأكثر مشاهدة",
            "اقرأ أيضا",
            "آخر الأخبار",
        ),
        comments_heading=("التعليقات", "أضف تعليقا", "اترك تعليقا"),
        ad_label=("إعلان", "محتوى برعاية", "برعاية"),
        share=("شارك", "مشاركة", "طباعة", "أرسل"),
        cookie=("ملفات تعريف الارتباط",),
        newsletter=("اشترك في النشرة", "النشرة الإخبارية"),
        photo=("صورة", "الصورة", "تصوير"),
        rights=("جميع الحقوق محفوظة",),
    ),
    "zh": Labels(
        related_prefix=(
            "相关阅读",
            "延伸阅读",
            "相关新闻",
            "推荐阅读",
            "阅读更多",
            "相關閱讀",
            "延伸閱讀",
            "相關新聞",
            "推薦閱讀",
        ),
        related_heading=(
            "相关新闻",
            "相关阅读",
            "热门文章",
            "热门新闻",
            "猜你喜欢",
            "推荐阅读",
            "最新新闻",
            "延伸阅读",
            "相關新聞",
            "熱門文章",
            "推薦閱讀",
            "延伸閱讀",
            "更多新闻",
            "更多新聞",
            "更多资讯",
            "更多資訊",
            "为你推荐",
            "為你推薦",
            "相关推荐",
            "相關推薦",
            "猜你喜歡",
        ),
        comments_heading=("评论", "网友评论", "发表评论", "評論", "網友評論", "發表評論"),
        ad_label=("广告", "廣告", "推广", "赞助内容"),
        share=("分享", "分享到", "打印", "收藏", "微信", "微博"),
        cookie=("使用cookie", "使用 cookie"),
        newsletter=("订阅电子报", "訂閱電子報", "发送到您的邮箱", "發送到您的郵箱"),
        photo=("图片来源", "圖片來源", "图", "圖", "摄影", "攝影", "图源"),
        rights=("版权所有", "版權所有", "未经授权禁止转载", "禁止转载"),
    ),
    "ja": Labels(
        related_prefix=("関連記事", "あわせて読みたい", "こちらもおすすめ", "続きを読む"),
        related_heading=(
            "関連記事",
            "関連ニュース",
            "人気記事",
            "おすすめ記事",
            "アクセスランキング",
            "最新ニュース",
            "あわせて読みたい",
        ),
        comments_heading=("コメント", "コメントする"),
        ad_label=("広告", "pr", "スポンサーリンク"),
        share=("シェア", "ツイート", "共有", "印刷", "ブックマーク"),
        cookie=("クッキーを使用", "cookieを使用"),
        newsletter=("メールマガジン登録", "ニュースレター登録"),
        photo=("写真", "画像", "撮影", "提供"),
        rights=("無断転載を禁じます", "無断転載禁止"),
    ),
    "ko": Labels(
        related_prefix=("관련기사", "관련 기사", "관련뉴스", "관련 뉴스"),
        related_heading=(
            "관련기사",
            "관련 기사",
            "관련뉴스",
            "관련 뉴스",
            "많이 본 뉴스",
            "가장 많이 본 뉴스",
            "인기 기사",
            "최신 기사",
            "추천 기사",
        ),
        comments_heading=("댓글", "댓글 쓰기", "댓글쓰기"),
        ad_label=("광고",),
        share=("공유", "공유하기", "인쇄", "스크랩"),
        cookie=("쿠키를 사용",),
        newsletter=("뉴스레터 구독",),
        photo=("사진", "사진 제공"),
        # Yonhap's "<저작권자(c) 연합뉴스, 무단 전재-재배포, AI 학습 및 활용 금지>" ends every story of its wire.
        rights=("무단 전재 및 재배포 금지", "무단전재 및 재배포 금지", "무단 전재-재배포", "무단전재-재배포"),
    ),
    "he": Labels(
        related_prefix=("קראו עוד", "קראו גם", "עוד בנושא"),
        related_heading=("כתבות נוספות", "עוד בנושא", "כתבות קשורות", "הנקראים ביותר", "מומלצים", "חדשות אחרונות"),
        comments_heading=("תגובות", "הוסיפו תגובה", "הוספת תגובה"),
        ad_label=("פרסומת", "תוכן שיווקי", "תוכן ממומן"),
        share=("שתפו", "שיתוף", "הדפסה"),
        cookie=("משתמש בעוגיות", "משתמשים בעוגיות", "מדיניות העוגיות"),
        newsletter=("הירשמו לניוזלטר", "הרשמה לניוזלטר"),
        photo=("צילום", "צילומים"),
        rights=("כל הזכויות שמורות",),
    ),
    "el": Labels(
        related_prefix=("διαβάστε επίσης", "διαβάστε ακόμη", "δείτε επίσης", "δείτε ακόμη", "διαβάστε περισσότερα"),
        related_heading=(
            "σχετικά άρθρα",
            "σχετικές ειδήσεις",
            "διαβάστε επίσης",
            "τα πιο δημοφιλή",
            "δημοφιλή",
            "πιο διαβασμένα",
            "τελευταίες ειδήσεις",
        ),
        comments_heading=("σχόλια", "σχολιάστε", "προσθέστε σχόλιο"),
        ad_label=("διαφήμιση", "χορηγούμενο", "χορηγούμενο περιεχόμενο"),
        share=("κοινοποίηση", "κοινοποιήστε", "μοιραστείτε", "εκτύπωση"),
        cookie=("χρησιμοποιεί cookies", "χρησιμοποιούμε cookies"),
        newsletter=("εγγραφείτε στο newsletter",),
        photo=("φωτογραφία", "φωτογραφίες"),
        rights=("με επιφύλαξη παντός δικαιώματος",),
    ),
    "th": Labels(
        related_prefix=("อ่านเพิ่มเติม", "อ่านต่อ", "ข่าวที่เกี่ยวข้อง", "อ่านข่าวที่เกี่ยวข้อง"),
        related_heading=("ข่าวที่เกี่ยวข้อง", "บทความที่เกี่ยวข้อง", "ข่าวแนะนำ", "ข่าวล่าสุด", "ข่าวยอดนิยม", "ยอดนิยม"),
        comments_heading=("ความคิดเห็น", "แสดงความคิดเห็น"),
        ad_label=("โฆษณา",),
        share=("แชร์", "พิมพ์"),
        cookie=("นโยบายคุกกี้", "ใช้คุกกี้เพื่อ"),
        newsletter=("สมัครรับจดหมายข่าว",),
        photo=("ภาพ", "ภาพประกอบ", "ที่มาภาพ"),
        rights=("สงวนลิขสิทธิ์",),
    ),
    # Turkish capital İ casefolds to "i̇" (i and a combining dot), not "i": labels that begin with it are listed
    # as sites print them and in lower case.
    "tr": Labels(
        related_prefix=("ilgili haber", "İlgili haber", "ilgili haberler", "İlgili haberler", "bunu da okuyun"),
        related_heading=(
            "ilgili haberler",
            "İlgili haberler",
            "benzer haberler",
            "en çok okunanlar",
            "çok okunanlar",
            "son haberler",
            "diğer haberler",
        ),
        comments_heading=("yorumlar", "yorum yap", "yorum yazın"),
        ad_label=("reklam", "sponsorlu içerik"),
        share=("paylaş", "yazdır"),
        cookie=("çerez kullanıyoruz", "çerezler kullanılmaktadır", "çerez politikası"),
        newsletter=("bültenimize abone olun", "e-bültene abone olun"),
        photo=("fotoğraf",),
        rights=("tüm hakları saklıdır",),
    ),
    "vi": Labels(
        related_prefix=("xem thêm", "đọc thêm", "tin liên quan", "bài liên quan"),
        related_heading=(
            "tin liên quan",
            "bài liên quan",
            "tin mới nhất",
            "đọc nhiều nhất",
            "xem nhiều nhất",
            "tin khác",
            "cùng chuyên mục",
        ),
        comments_heading=("bình luận", "ý kiến bạn đọc", "gửi bình luận"),
        ad_label=("quảng cáo", "nội dung tài trợ"),
        share=("chia sẻ",),
        cookie=("sử dụng cookie",),
        newsletter=("đăng ký nhận bản tin",),
        photo=("ảnh", "ảnh minh họa", "nguồn ảnh"),
        rights=("bản quyền thuộc về",),
    ),
    "pl": Labels(
        related_prefix=(
            "czytaj także",
            "czytaj też",
            "czytaj więcej",
            "zobacz także",
            "zobacz też",
            "przeczytaj także",
            "przeczytaj też",
        ),
        related_heading=(
            "najczęściej czytane",
            "polecane",
            "podobne artykuły",
            "powiązane artykuły",
            "zobacz także",
            "czytaj także",
            "najnowsze",
        ),
        comments_heading=("komentarze", "dodaj komentarz"),
        ad_label=("reklama", "artykuł sponsorowany", "materiał sponsorowany", "materiał partnera"),
        share=("udostępnij", "drukuj"),
        cookie=("używa plików cookie", "wykorzystuje pliki cookie", "polityka cookies"),
        newsletter=("zapisz się do newslettera",),
        photo=("zdjęcie",),
        rights=("wszelkie prawa zastrzeżone",),
    ),
    "id": Labels(
        related_prefix=("baca juga", "baca selengkapnya", "simak juga", "lihat juga"),
        related_heading=("berita terkait", "artikel terkait", "terpopuler", "berita terkini", "berita lainnya"),
        comments_heading=("komentar", "tulis komentar"),
        ad_label=("iklan", "konten bersponsor"),
        share=("bagikan", "cetak"),
        cookie=(
            *_site_says(
                ("",), ("situs ini", "situs web ini", "website ini", "laman ini", "web ini"), ("menggunakan",), "cookie"
            ),
            "kami menggunakan cookie",
        ),
        newsletter=("berlangganan newsletter",),
        photo=("foto", "gambar"),
        rights=("hak cipta dilindungi undang-undang",),
    ),
    # Hindi: "यह भी पढ़ें:" ("read this too") before a linked headline is on nearly every Hindi news story.
    "hi": Labels(
        related_prefix=("यह भी पढ़ें", "ये भी पढ़ें", "इसे भी पढ़ें", "और पढ़ें"),
        related_heading=("संबंधित खबरें", "संबंधित ख़बरें", "ये भी पढ़ें", "यह भी पढ़ें", "सबसे ज्यादा पढ़ी गई"),
        comments_heading=("टिप्पणियां", "टिप्पणियाँ", "कमेंट्स"),
        ad_label=("विज्ञापन",),
        share=("शेयर करें", "शेयर"),
        cookie=("कुकीज़ का उपयोग",),
        newsletter=("न्यूज़लेटर के लिए साइन अप",),
        photo=("फोटो", "फ़ोटो", "तस्वीर"),
        rights=("सर्वाधिकार सुरक्षित",),
    ),
    # Swahili. No photo word: "picha" is the everyday word for a picture. No bare "maoni" for comments: it is also
    # the opinion section's name.
    "sw": Labels(
        related_prefix=("soma pia", "soma zaidi", "unaweza pia kusoma", "habari zinazohusiana"),
        related_heading=("habari zinazohusiana", "habari zaidi", "habari nyingine", "zilizosomwa zaidi", "habari kuu"),
        comments_heading=("toa maoni", "maoni ya wasomaji"),
        ad_label=("tangazo", "matangazo"),
        share=("shiriki",),
        rights=("haki zote zimehifadhiwa",),
    ),
}


def labels_for(language: str | None) -> Labels:
    """The labels of a page in `language` (a BCP 47 tag such as "de-CH"), with English's; unknown: all of them.

    English labels always count: sites in every language print "Share" and "Advertisement". A page without a
    declared language (or one we have no labels for) gets every language's labels, each of which is a whole
    label in its own script and hardly occurs as a whole line of another language's story.
    """
    labelled = labels_language(language)
    languages = ["en", labelled] if labelled else list(LABELS)
    return Labels(
        *(
            tuple(dict.fromkeys(label for lang in dict.fromkeys(languages) for label in getattr(LABELS[lang], name)))
            for name in (f.name for f in fields(Labels))
        )
    )


def labels_language(language: str | None) -> str | None:
    """The LABELS entry of a page in `language` (a BCP 47 tag such as "de-CH", "nb-NO"), or None."""
    primary = (language or "").split("-")[0].split("_")[0].strip().lower()
    primary = _SAME_LABELS.get(primary, primary)
    return primary if primary in LABELS else None


# Language tags whose pages use another entry's labels: Norwegian Bokmål and Nynorsk.
_SAME_LABELS = {"nb": "no", "nn": "no"}


# What a "page not found" page calls itself in its <title> or <h1> (a title's part between separators, with any
# "404" or "error" taken off): sites answer a missing page with 200 and this, a soft 404. Matched whole, any
# language on any page, as a missing page's template is often the site's default language's.
NOT_FOUND_TITLES: dict[str, tuple[str, ...]] = {
    "en": (
        "page not found",
        "not found",
        "page cannot be found",
        "page could not be found",
        "page does not exist",
        "this page does not exist",
        "this page doesn't exist",
        "oops! page not found",
        "sorry, page not found",
        "file not found",
    ),
    "de": ("seite nicht gefunden", "seite wurde nicht gefunden", "nicht gefunden"),
    "fr": ("page introuvable", "page non trouvée", "page non trouvee", "cette page n'existe pas"),
    "es": ("página no encontrada", "pagina no encontrada", "no se encontró la página"),
    "it": ("pagina non trovata",),
    "pt": ("página não encontrada", "pagina nao encontrada"),
    "nl": ("pagina niet gevonden",),
    "pl": ("nie znaleziono strony", "strona nie została znaleziona", "strona nie istnieje"),
    "ru": ("страница не найдена",),
    "tr": ("sayfa bulunamadı",),
    "ar": ("الصفحة غير موجودة", "الصفحة غير متوفرة"),
    "zh": ("页面未找到", "页面不存在", "找不到页面", "找不到網頁", "頁面不存在"),
    "ja": ("ページが見つかりません", "お探しのページは見つかりませんでした"),
    "ko": ("페이지를 찾을 수 없습니다",),
}
