"""The words Chapbook itself puts in a book (not the author's): navigation, search, labels.

One table for every backend, by the primary subtag of the book's `language` (`fr-CA` -> `fr`);
a word missing in a language, or a language not here, falls back to English. Dates are spelled by
Babel (CLDR data) in the book's language. Babel has no such interface words, so this table is the
project's own; a theme that needs other words overrides the templates.
"""

from __future__ import annotations

from datetime import date

EN = {
    # EPUB navigation documents and landmarks, PDF contents
    "contents": "Contents", "cover": "Cover", "title_page": "Title page", "start_of_content": "Start of content",
    "guide": "Guide",
    # HTML booklet
    "skip_to_content": "Skip to content", "search_book": "Search the book", "search": "Search",
    "no_results": "No results for", "result_for": "result for", "results_for": "results for",
    "showing_first": "showing the first", "index_failed": "The search index could not be loaded.",
    "dark_theme": "Dark theme", "download_book": "Download this book:", "download": "Download:",
    "download_format": "Download {label}", "made_with": "Made with Chapbook.", "previous": "Previous",
    "next": "Next", "prev_next": "Previous and next chapter", "after": "After {title}",
    "earlier": "Earlier chapters…", "later": "Later chapters…", "cover_and_contents": "Cover and contents",
    "cover_of": "Cover of {title}", "start_reading": "Start reading: {title}",
    "read_original": "Read the original post", "date": "Date", "publisher": "Publisher", "rights": "Rights",
}

WORDS: dict[str, dict[str, str]] = {
    "en": EN,
    "de": {
        "contents": "Inhalt", "cover": "Umschlag", "title_page": "Titelseite", "start_of_content": "Beginn des Textes",
        "guide": "Orientierung", "skip_to_content": "Zum Inhalt springen", "search_book": "Im Buch suchen",
        "search": "Suchen", "no_results": "Keine Treffer für", "result_for": "Treffer für",
        "results_for": "Treffer für", "showing_first": "nur die ersten",
        "index_failed": "Der Suchindex konnte nicht geladen werden.", "dark_theme": "Dunkle Darstellung",
        "download_book": "Dieses Buch herunterladen:", "download": "Herunterladen:",
        "download_format": "{label} herunterladen", "made_with": "Erstellt mit Chapbook.", "previous": "Zurück",
        "next": "Weiter", "prev_next": "Voriges und nächstes Kapitel", "after": "Nach {title}",
        "earlier": "Frühere Kapitel…", "later": "Spätere Kapitel…", "cover_and_contents": "Umschlag und Inhalt",
        "cover_of": "Umschlag von {title}", "start_reading": "Lesen beginnen: {title}",
        "read_original": "Originalbeitrag lesen", "date": "Datum", "publisher": "Verlag", "rights": "Rechte",
    },
    "fr": {
        "contents": "Table des matières", "cover": "Couverture", "title_page": "Page de titre",
        "start_of_content": "Début du texte", "guide": "Repères", "skip_to_content": "Aller au contenu",
        "search_book": "Rechercher dans le livre", "search": "Rechercher", "no_results": "Aucun résultat pour",
        "result_for": "résultat pour", "results_for": "résultats pour", "showing_first": "limité à",
        "index_failed": "L’index de recherche n’a pas pu être chargé.", "dark_theme": "Thème sombre",
        "download_book": "Télécharger ce livre :", "download": "Télécharger :",
        "download_format": "Télécharger en {label}", "made_with": "Réalisé avec Chapbook.",
        "previous": "Précédent", "next": "Suivant", "prev_next": "Chapitre précédent et suivant",
        "after": "Après {title}", "earlier": "Chapitres précédents…", "later": "Chapitres suivants…",
        "cover_and_contents": "Couverture et sommaire", "cover_of": "Couverture de {title}",
        "start_reading": "Commencer la lecture : {title}", "read_original": "Lire l’article original",
        "date": "Date", "publisher": "Éditeur", "rights": "Droits",
    },
    "es": {
        "contents": "Índice", "cover": "Cubierta", "title_page": "Portada", "start_of_content": "Comienzo del texto",
        "guide": "Guía", "skip_to_content": "Saltar al contenido", "search_book": "Buscar en el libro",
        "search": "Buscar", "no_results": "No hay resultados para", "result_for": "resultado para",
        "results_for": "resultados para", "showing_first": "se muestran los primeros",
        "index_failed": "No se pudo cargar el índice de búsqueda.", "dark_theme": "Tema oscuro",
        "download_book": "Descargar este libro:", "download": "Descargar:", "download_format": "Descargar {label}",
        "made_with": "Hecho con Chapbook.", "previous": "Anterior", "next": "Siguiente",
        "prev_next": "Capítulo anterior y siguiente", "after": "Después de {title}",
        "earlier": "Capítulos anteriores…", "later": "Capítulos posteriores…",
        "cover_and_contents": "Cubierta e índice", "cover_of": "Cubierta de {title}",
        "start_reading": "Empezar a leer: {title}", "read_original": "Leer la entrada original",
        "date": "Fecha", "publisher": "Editorial", "rights": "Derechos",
    },
    "it": {
        "contents": "Indice", "cover": "Copertina", "title_page": "Frontespizio", "start_of_content": "Inizio del testo",
        "guide": "Guida", "skip_to_content": "Vai al contenuto", "search_book": "Cerca nel libro", "search": "Cerca",
        "no_results": "Nessun risultato per", "result_for": "risultato per", "results_for": "risultati per",
        "showing_first": "mostrati i primi", "index_failed": "Impossibile caricare l’indice di ricerca.",
        "dark_theme": "Tema scuro", "download_book": "Scarica questo libro:", "download": "Scarica:",
        "download_format": "Scarica {label}", "made_with": "Realizzato con Chapbook.", "previous": "Precedente",
        "next": "Successivo", "prev_next": "Capitolo precedente e successivo", "after": "Dopo {title}",
        "earlier": "Capitoli precedenti…", "later": "Capitoli successivi…",
        "cover_and_contents": "Copertina e indice", "cover_of": "Copertina di {title}",
        "start_reading": "Inizia a leggere: {title}", "read_original": "Leggi l’articolo originale",
        "date": "Data", "publisher": "Editore", "rights": "Diritti",
    },
    "pt": {
        "contents": "Sumário", "cover": "Capa", "title_page": "Folha de rosto", "start_of_content": "Início do texto",
        "guide": "Guia", "skip_to_content": "Ir para o conteúdo", "search_book": "Pesquisar no livro",
        "search": "Pesquisar", "no_results": "Nenhum resultado para", "result_for": "resultado para",
        "results_for": "resultados para", "showing_first": "mostrando os primeiros",
        "index_failed": "Não foi possível carregar o índice de pesquisa.", "dark_theme": "Tema escuro",
        "download_book": "Baixar este livro:", "download": "Baixar:", "download_format": "Baixar {label}",
        "made_with": "Feito com Chapbook.", "previous": "Anterior", "next": "Próximo",
        "prev_next": "Capítulo anterior e próximo", "after": "Depois de {title}",
        "earlier": "Capítulos anteriores…", "later": "Capítulos seguintes…", "cover_and_contents": "Capa e sumário",
        "cover_of": "Capa de {title}", "start_reading": "Começar a ler: {title}",
        "read_original": "Ler o texto original", "date": "Data", "publisher": "Editora", "rights": "Direitos",
    },
    "nl": {
        "contents": "Inhoud", "cover": "Omslag", "title_page": "Titelpagina", "start_of_content": "Begin van de tekst",
        "guide": "Oriëntatie", "skip_to_content": "Naar de inhoud", "search_book": "Zoeken in het boek",
        "search": "Zoeken", "no_results": "Geen resultaten voor", "result_for": "resultaat voor",
        "results_for": "resultaten voor", "showing_first": "alleen de eerste",
        "index_failed": "De zoekindex kon niet worden geladen.", "dark_theme": "Donker thema",
        "download_book": "Dit boek downloaden:", "download": "Downloaden:", "download_format": "{label} downloaden",
        "made_with": "Gemaakt met Chapbook.", "previous": "Vorige", "next": "Volgende",
        "prev_next": "Vorig en volgend hoofdstuk", "after": "Na {title}", "earlier": "Eerdere hoofdstukken…",
        "later": "Latere hoofdstukken…", "cover_and_contents": "Omslag en inhoud", "cover_of": "Omslag van {title}",
        "start_reading": "Begin met lezen: {title}", "read_original": "Het oorspronkelijke bericht lezen",
        "date": "Datum", "publisher": "Uitgever", "rights": "Rechten",
    },
    # only the contents' title, as the PDF had it before the other words were translated
    "sv": {"contents": "Innehåll"}, "da": {"contents": "Indhold"}, "nb": {"contents": "Innhold"},
    "pl": {"contents": "Spis treści"},
}


def primary(language: str) -> str:
    return language.replace("_", "-").split("-")[0].lower()


def words(language: str) -> dict[str, str]:
    """Every word in the book's language, English where it has none."""
    return {**EN, **WORDS.get(primary(language), {})}


def translator(language: str):
    """`t(key, **fields)` for templates: the word in the book's language, fields filled in."""
    table = words(language)

    def t(key: str, **fields) -> str:
        text = table[key]
        return text.format(**fields) if fields else text
    return t


def long_date(iso: str, language: str) -> str:
    """The date spelled out in the book's language ("7 August 2025", "7. August 2025", "7 août
    2025"); a bare `en` reads day first, as `en-GB`. An unknown language gets the ISO date."""
    from babel import Locale, UnknownLocaleError
    from babel.dates import format_date

    day = date.fromisoformat(iso[:10])
    tag = "en-GB" if language.strip().lower() == "en" else language.strip()
    try:
        locale = Locale.parse(tag.replace("_", "-"), sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        try:
            locale = Locale.parse(primary(tag))
        except (UnknownLocaleError, ValueError, TypeError):
            return day.isoformat()
    return format_date(day, format="long", locale=locale)
