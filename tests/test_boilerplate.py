"""The boilerplate cleaner on text lines as trafilatura leaves them (hand-written, in the style of real pages)."""

from __future__ import annotations

import pickle

from extractors.boilerplate import Boilerplate

BODY = [
    "North Korea has started to pick workers for building sites in Russian-occupied Donetsk, a source told Daily NK.",
    "About 500 men from trading companies in Russia were chosen in January.",
    "'They wanted to send people as soon as the fighting stopped, but it has not stopped,' the source said.",
    "Troops to follow the workers",
    "The men are between 20 and 30 years old, and most of them are married, so their families stay behind.",
]


def test_glued_and_repeated_ad_markers_are_cut_out_of_sentences():
    lines = [
        "More under this adNorth Korea has started to pick workers for building sites in Russian-occupied Donetsk, "
        "a source told Daily NK.",
        "About 500 men from trading companies in Russia were chosen in January.More under this adMore under this ad",
        "More under this ad",
        "More under this adMore under this ad'They wanted to send people as soon as the fighting stopped, "
        "but it has not stopped,' the source said.",
    ]
    assert Boilerplate().clean(lines) == BODY[:3]


def test_label_lines_go_and_body_lines_stay_in_order():
    lines = [
        BODY[0],
        "ADVERTISEMENT",
        BODY[1],
        "Discover our latest podcast",
        "Advertisement",
        BODY[2],
        "Real Time Analytics",
        BODY[3],
        BODY[4],
        "source site-3",
    ]
    assert Boilerplate().clean(lines) == BODY


def test_read_more_link_lists_go_but_the_next_subheading_stays():
    lines = [
        *BODY[:3],
        "More under this adMore under this adRead more:",
        "⋙ Kremlin denies talks on foreign troops for the Kursk front",
        "⋙ Satellite images show new activity at shell factories",
        "Read more ⋙ Seoul warns of consequences for the arms trade",
        "READ MORE: Ferry route between Rason and Vladivostok reopens",
        "[Related: Sanctions experts lose their mandate after a veto]",
        *BODY[3:],
    ]
    assert Boilerplate().clean(lines) == BODY


def test_related_news_block_with_teasers_and_a_comment_form_is_cut_to_the_end():
    lines = [
        *BODY,
        "More Related News",
        "Kazakhstan grain convoy stalls",
        "Kazakhstan grain convoy stalls at the border for a ninth day",
        "• World",
        "• 2024-10-17 21:04:10Z",
        "Trucks loaded with wheat have waited for nine days at the Kazakh crossing while inspectors check every...",
        "Baltic states profile",
        "Baltic states profile",
        "An overview of Estonia, Latvia and Lithuania, with key dates and facts about the three countries.",
        "Seoul minister:",
        "Seoul minister: 'We will answer every provocation from the North'",
        "• Asia",
        "Leave a Comment",
        "Your email address will not be published. Required fields are marked with *",
        "Cancel reply",
        "Top News: World",
    ]
    assert Boilerplate().clean(lines) == BODY


def test_a_related_block_inside_the_article_ends_at_the_next_paragraph():
    lines = [
        *BODY[:3],
        "Related",
        "Kim visits munitions factory and calls for more output",
        "Sanctions monitors lose their mandate",
        *BODY[3:],
    ]
    # the subheading right after the headlines reads like one more headline; the prose after it stays
    assert Boilerplate().clean(lines) == [*BODY[:3], BODY[4]]


def test_a_related_block_after_a_teaser_keeps_the_prose_that_follows():
    lines = [
        *BODY[:2],
        "Related stories",
        "Kim visits munitions factory",
        "State media showed rows of artillery rounds on the factory floor...",
        *BODY[2:],
    ]
    assert Boilerplate().clean(lines) == BODY


def test_tags_footer_goes_with_its_tag_list():
    lines = [*BODY, "Tags", "Russia, North korea, United Nations, Kim jong un, Vladimir putin", "Real Time Analytics"]
    assert Boilerplate().clean(lines) == BODY
    assert Boilerplate().clean([*BODY, "Tags: Russia, North Korea, labour"]) == BODY


def test_sources_lists_are_attribution_and_stay():
    sources = [
        "Sources used:",
        "- Daily NK: 'Workers picked for reconstruction brigades in occupied Ukraine'",
        "- NK News: 'Trains from Tumangang carry men and machinery north'",
        "Sources: DPA and KCNA news agencies, The Moscow Times, Voice of America",
    ]
    assert Boilerplate().clean([*BODY, *sources, "More under this ad"]) == [*BODY, *sources]


def test_the_word_advertisement_inside_a_sentence_stays():
    line = "The advertisement in Rodong Sinmun asked for volunteers to rebuild Donetsk."
    assert Boilerplate().clean([line]) == [line]


def test_extra_patterns_add_to_the_defaults():
    lines = [BODY[0], "ADVERTISEMENT", "Reporting supported by the Frontier Fund", BODY[1]]
    cleaner = Boilerplate([r"^Reporting supported by .*$"])
    assert cleaner.clean(lines) == BODY[:2]
    assert "Reporting supported by the Frontier Fund" in Boilerplate().clean(lines)


def test_without_defaults_only_the_configured_patterns_apply():
    lines = [BODY[0], "ADVERTISEMENT", "Reporting supported by the Frontier Fund", "More Related News", BODY[1]]
    cleaner = Boilerplate([r"^Reporting supported by .*$"], defaults=False)
    assert cleaner.clean(lines) == [BODY[0], "ADVERTISEMENT", "More Related News", BODY[1]]


def test_cleaner_survives_pickling_for_worker_processes():
    cleaner = pickle.loads(pickle.dumps(Boilerplate([r"(?i)^sponsored by .*$"])))
    assert cleaner.clean([BODY[0], "Sponsored by Acme", "ADVERTISEMENT"]) == [BODY[0]]
