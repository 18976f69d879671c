"""Every text a report reader sees, in Dutch and English, by key; and number formatting."""

# ruff: noqa: E501  (sentences of the report, kept whole for translators)

from __future__ import annotations

import math

TEXT: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Geschikte locaties voor kleinschalige opvang",
        "title_batch": "Geschikte locaties voor kleinschalige opvang: {n} regio's",
        "subtitle": "{area} · OSM-gegevens van {date} · geoschikt {version}",
        "made_on": "Rapport gemaakt op {date} uit de run in {run}.",
        "summary": (
            "geoschikt heeft {n} gebouwen beoordeeld. {passing} daarvan ({share}) voldoen aan alle "
            "harde eisen. De hoogste geschiktheid is {best} van de 100; de helft van de gebouwen "
            "scoort {median} of meer."
        ),
        "summary_batch": (
            "{ok} van de {n} regio's zijn beoordeeld, met samen {cands} gebouwen, waarvan "
            "{passing} aan alle harde eisen voldoen."
        ),
        "reading_guide": (
            "Dit rapport is een hulpmiddel bij een raadsvoorstel. Het laat zien hoe goed elk "
            "gebouw bereikbaar is voor de voorzieningen die voor opvang tellen. Of een gebouw echt "
            "beschikbaar en geschikt is (eigendom, bestemmingsplan, bouwkundige staat, veiligheid, "
            "draagvlak) staat er niet in: dat moet apart worden beoordeeld."
        ),
        # what was scored
        "h_method": "Wat is beoordeeld en waarom",
        "method": (
            "Voor elk gebouw is gemeten hoe ver het lopen is naar de dichtstbijzijnde voorziening "
            "van elk criterium, over het echte straten- en padennet uit OpenStreetMap (OSM). Een "
            "afstand wordt een score van 0 tot 100: de volle score tot de afstand in kolom "
            "'volle score tot', daarna aflopend volgens de curve, en 0 vanaf de afstand in kolom "
            "'0 vanaf'. De geschiktheid is het gewogen gemiddelde van de scores; het aandeel van "
            "elk criterium staat in kolom 'gewicht'. Een harde eis is een grens die een gebouw "
            "moet halen: wie er een mist, komt in de ranglijst na alle gebouwen die alle eisen halen."
        ),
        "method_euclidean": (
            "Let op: in deze run zijn afstanden hemelsbreed gemeten, niet over het wegennet; "
            "echte loopafstanden zijn langer."
        ),
        "criteria_caption": "De criteria van deze run (uit run.json, de instellingen waarmee is gerekend).",
        "col_criterion": "Criterium",
        "col_counts": "Wat telt (OSM-labels)",
        "col_weight": "Gewicht",
        "col_full": "Volle score tot",
        "col_zero": "0 vanaf",
        "col_curve": "Curve",
        "col_limit": "Harde eis",
        "col_limit_source": "Bron van de eis",
        "curve_linear": "rechte lijn",
        "curve_exponential": "exponentieel (steilheid {k})",
        "curve_logistic": "S-curve (steilheid {k})",
        "away": "verder is beter",
        "limit_max": "binnen {d}",
        "limit_min": "minstens {d}",
        "limit_none": "geen",
        "pressure_counts": "bestaande opvang (--reception en OSM {tags})",
        "pressure_full": "{v} plaatsen",
        "raster_counts": "waarde uit {raster}",
        "weights_source": (
            "Bron van gewichten en curves: een keuze van geoschikt (config/default.toml), geen "
            "norm van het COA of het Rijk. Gemeenten publiceren geen getallen voor gewichten; pas ze "
            "aan de prioriteiten van de raad aan."
        ),
        "weights_changed": "Deze run gebruikt eigen instellingen uit: {sources}.",
        "source_coa_transit": "COA, Vastgoed voor asielopvang (ligging): OV-halte binnen 500 m",
        "source_coa_school": "COA, Vastgoed voor asielopvang (ligging): scholen binnen 3 km",
        "source_coa_shops": "COA, Vastgoed voor asielopvang (ligging): winkels binnen 3 km",
        "source_own": "eigen instelling van deze run",
        "weight_share": "{w} ({share})",
        "not_assessed_h": "Niet beoordeeld in deze run",
        "not_assessed_item": "{label}: {why}. Dit criterium telt niet mee in de geschiktheid; het is geen slechte score.",
        # maps
        "h_overview": "Overzichtskaart",
        "overview_caption": (
            "Elke stip is een beoordeeld gebouw, gekleurd naar geschiktheid (donkerpaars laag, geel "
            "hoog). Grijze stippen halen een harde eis niet. De nummers zijn de beste {n} uit de "
            "tabel hieronder. Open symbolen zijn voorzieningen."
        ),
        "overview_caption_blurred": (
            "Elke stip is het midden van een vak van {m} met beoordeelde gebouwen, gekleurd naar "
            "het meest geschikte gebouw in het vak (donkerpaars laag, geel hoog; grijs: geen enkel "
            "gebouw haalt alle harde eisen). De nummers zijn de beste {n} uit de tabel hieronder."
        ),
        "legend_suitability": "Geschiktheid (0–100)",
        "legend_fails": "haalt een harde eis niet",
        "legend_area": "gebied",
        "legend_site": "locatie",
        "legend_building": "gebouw, gekleurd naar geschiktheid",
        "north": "N",
        "attribution": "© OpenStreetMap contributors (ODbL)",
        "h_sites": "Kaart per locatie",
        "sites_caption": (
            "Per locatie een uitsnede van {w} bij {w}; de locatie is zwart omrand, omliggende "
            "gebouwen in dezelfde kleuren als op de overzichtskaart."
        ),
        # top list
        "h_top": "De beste {n} locaties",
        "top_intro": (
            "De {n} gebouwen bovenaan de ranglijst. Rang 1 is het best; gebouwen met dezelfde "
            "geschiktheid delen een rang. Nr. is de plek in deze lijst en het nummer op de kaarten. "
            "Geschiktheid is het gewogen gemiddelde van de scores per criterium (0–100)."
        ),
        "top_ties": (
            "{k} gebouwen delen de hoogste rang; deze lijst toont er {n}, in volgorde van hun "
            "kenmerk (id). De volledige lijst staat in candidates.csv."
        ),
        "col_nr": "Nr.",
        "col_rank": "Rang",
        "col_address": "Adres of naam",
        "col_id": "Kenmerk (OSM)",
        "col_suitability": "Geschiktheid",
        "col_passes": "Harde eisen",
        "passes_yes": "alle gehaald",
        "passes_no": "niet: {which}",
        "no_address": "(geen adres in OSM)",
        "site_n": "Locatie {i}",
        "blurred": "Publicatieversie: locaties zijn vergroofd tot vakken van {m}. Adressen, namen, kenmerken en kaarten per locatie zijn weggelaten en afstanden afgerond op 50 m.",
        "privacy": "Let op: deze lijst noemt adressen van gebouwen, ook van woningen. Maak voor publicatie een versie zonder adressen: geoschikt report RUN --blur 250.",
        "h_distances": "Afstanden per criterium",
        "distances_intro": (
            "Loopafstand in meters van elk gebouw tot de dichtstbijzijnde voorziening per "
            "criterium. Een ✗ betekent dat de harde eis van dat criterium niet is gehaald; "
            "'buiten bereik' betekent dat binnen de gezochte afstand niets is gevonden; "
            "'n.b.' betekent niet beoordeeld."
        ),
        "beyond": "buiten bereik",
        "unknown": "onbekend",
        "not_assessed_short": "n.b.",
        "places": "{v} pl.",
        # distributions
        "h_distributions": "Verdeling per criterium",
        "distributions_intro": (
            "Hoe de afstanden over alle {n} gebouwen verdeeld zijn. De doorgetrokken lijn is de harde "
            "eis, de stippellijnen de afstanden waartussen de score van 100 naar 0 gaat. De tabel "
            "geeft de mediaan (de helft van de gebouwen ligt dichterbij) en het bereik van de "
            "middelste 80%."
        ),
        "hist_count": "gebouwen",
        "hist_metres": "meter",
        "hist_empty": "geen gemeten afstanden\n(niets binnen bereik)",
        "col_median": "Mediaan",
        "col_p10_p90": "Middelste 80%",
        "col_within_limit": "Haalt de eis",
        "col_beyond": "Niets binnen bereik",
        "suitability": "Geschiktheid",
        # coverage
        "h_coverage": "Dekking van de gegevens en wat niet is beoordeeld",
        "coverage_intro": (
            "De uitkomst is zo goed als de OSM-gegevens. Ontbreekt een school of halte in OSM, dan "
            "lijkt een gebouw verder weg dan het is. Aantal gevonden voorzieningen per criterium:"
        ),
        "col_features": "Voorzieningen in OSM",
        "features_none": "0 (niets gevonden: controleer de gegevens)",
        "off_network": (
            "{n} gebouwen liggen verder dan {d} van een looppad; hun afstanden zijn onbekend en "
            "tellen niet als slechte score."
        ),
        "address_coverage": "{n} van de {total} gebouwen ({share}) hebben een adres of naam in de gegevens.",
        "coverage_column": "Dekking per gebouw (kolom coverage): mediaan {median}, laagste {low}.",
        "not_in_model": (
            "Niet beoordeeld door geoschikt: eigendom en beschikbaarheid, bestemmingsplan, "
            "bouwkundige staat en grootte van de binnenruimte, geluid en veiligheid (tenzij als "
            "kaartlaag toegevoegd), en de mening van omwonenden."
        ),
        "all_assessed": "Alle criteria van de instellingen zijn beoordeeld.",
        # robustness
        "h_robustness": "Robuustheid van de ranglijst",
        "robustness_intro": (
            "Gewichten zijn een politieke keuze. Daarom is de ranglijst vele keren opnieuw berekend "
            "met willekeurig gevarieerde gewichten. 'Kans top' is het aandeel van die berekeningen "
            "waarin het gebouw bij de beste hoort, 'kans eerste' het aandeel waarin het de beste is. "
            "De rangen zijn het 5e percentiel, de mediaan en het 95e percentiel: in 90% van de "
            "berekeningen lag de rang daartussen."
        ),
        "robustness_source": "Bron: {path}.",
        "robustness_settings": "{samples} wegingen: {how}. 'Kans top' betekent hier: in de beste {k}.",
        "robustness_none": (
            "Voor deze run is geen robuustheidsanalyse gevonden (robustness.csv); de ranglijst "
            "hoort bij precies de gewichten hierboven."
        ),
        "col_p_top": "Kans top",
        "col_p_best": "Kans eerste",
        "col_rank_range": "Rang (5% – mediaan – 95%)",
        "robustness_missing": "(niet in robustness.csv)",
        # provenance
        "h_provenance": "Herkomst",
        "provenance_intro": (
            "Alles om deze uitkomst na te rekenen. De SHA-256 is een vingerafdruk van een bestand: "
            "een ander getal betekent een ander bestand."
        ),
        "prov_version": "geoschikt-versie",
        "prov_started": "Run gestart",
        "prov_command": "Opdracht",
        "prov_osm": "OSM-bestand",
        "prov_osm_date": "Datum OSM-gegevens",
        "prov_input": "Invoer ({role})",
        "prov_config": "Instellingen",
        "prov_config_hash": "SHA-256 van de instellingen",
        "prov_crs": "Coördinatenstelsel voor afstanden",
        "prov_distance": "Soort afstand",
        "prov_area": "Gebied",
        "prov_outputs": "Uitvoer ({name})",
        "prov_libraries": "Bibliotheken",
        "prov_candidates": "Gebouwtypen (OSM building=*)",
        "prov_floor_area": "Vloeroppervlak van een gebouw (grondvlak x bouwlagen)",
        "distance_network": "loopafstand over het netwerk",
        "distance_euclidean": "hemelsbreed",
        "data_attribution": (
            "Kaartgegevens © OpenStreetMap contributors, beschikbaar onder de Open Database "
            "Licence (ODbL). Kaarten zonder achtergrondtegels, gemaakt met matplotlib."
        ),
        "unknown_value": "onbekend",
        # batch
        "h_regions": "Overzicht van de regio's",
        "regions_caption": (
            "Regio's gekleurd naar de mediane geschiktheid van hun gebouwen (donkerpaars laag, geel "
            "hoog); grijs: niet beoordeeld."
        ),
        "regions_intro": (
            "Per regio het aantal beoordeelde gebouwen, hoeveel alle harde eisen halen, de "
            "hoogste en de mediane geschiktheid."
        ),
        "col_region": "Regio",
        "col_status": "Status",
        "col_candidates": "Gebouwen",
        "col_passing": "Halen alle eisen",
        "col_best": "Hoogste",
        "col_median_suit": "Mediaan",
        "col_reason": "Reden",
        "status_ok": "beoordeeld",
        "h_region": "Regio {name} ({id})",
        "region_not_scored": "Niet beoordeeld: {reason}.",
        "footer": "{title} · pagina {page}",
        "yes": "ja",
        "no": "nee",
        "m": "{v} m",
    },
    "en": {
        "title": "Suitable sites for small-scale reception",
        "title_batch": "Suitable sites for small-scale reception: {n} regions",
        "subtitle": "{area} · OSM data of {date} · geoschikt {version}",
        "made_on": "Report made on {date} from the run in {run}.",
        "summary": (
            "geoschikt scored {n} buildings. {passing} of them ({share}) meet every hard limit. "
            "The highest suitability is {best} out of 100; half of the buildings score {median} "
            "or more."
        ),
        "summary_batch": (
            "{ok} of the {n} regions were scored, with {cands} buildings in all, of which "
            "{passing} meet every hard limit."
        ),
        "reading_guide": (
            "This report supports a council proposal. It shows how well each building reaches the "
            "facilities that matter for reception. Whether a building is really available and fit "
            "(ownership, zoning, structural state, safety, local support) is not in it: that needs "
            "its own assessment."
        ),
        "h_method": "What was scored and why",
        "method": (
            "For each building the walking distance to the nearest facility of each criterion was "
            "measured over the real street and path network from OpenStreetMap (OSM). A distance "
            "becomes a score from 0 to 100: the full score up to the distance in column 'full "
            "score up to', then falling along the curve, and 0 from the distance in column '0 "
            "from'. Suitability is the weighted mean of the scores; each criterion's share is in "
            "column 'weight'. A hard limit is a bound a building must meet: one that misses any "
            "ranks after every building that meets them all."
        ),
        "method_euclidean": (
            "Note: this run measured straight-line distances, not over the network; real walking "
            "distances are longer."
        ),
        "criteria_caption": "The criteria of this run (from run.json, the settings it was computed with).",
        "col_criterion": "Criterion",
        "col_counts": "What counts (OSM tags)",
        "col_weight": "Weight",
        "col_full": "Full score up to",
        "col_zero": "0 from",
        "col_curve": "Curve",
        "col_limit": "Hard limit",
        "col_limit_source": "Source of the limit",
        "curve_linear": "straight line",
        "curve_exponential": "exponential (steepness {k})",
        "curve_logistic": "S-curve (steepness {k})",
        "away": "farther is better",
        "limit_max": "within {d}",
        "limit_min": "at least {d}",
        "limit_none": "none",
        "pressure_counts": "existing reception (--reception and OSM {tags})",
        "pressure_full": "{v} places",
        "raster_counts": "value from {raster}",
        "weights_source": (
            "Source of weights and curves: a choice of geoschikt (config/default.toml), not a "
            "COA or government norm. Municipalities publish no numbers for weights; set them to "
            "the council's priorities."
        ),
        "weights_changed": "This run uses its own settings from: {sources}.",
        "source_coa_transit": "COA, Vastgoed voor asielopvang (location): a transit stop within 500 m",
        "source_coa_school": "COA, Vastgoed voor asielopvang (location): schools within 3 km",
        "source_coa_shops": "COA, Vastgoed voor asielopvang (location): shops within 3 km",
        "source_own": "this run's own setting",
        "weight_share": "{w} ({share})",
        "not_assessed_h": "Not assessed in this run",
        "not_assessed_item": "{label}: {why}. It is left out of the suitability; it is not a bad score.",
        "h_overview": "Overview map",
        "overview_caption": (
            "Each dot is a scored building, coloured by suitability (dark purple low, yellow high). "
            "Grey dots miss a hard limit. The numbers are the best {n} from the table below. Open "
            "symbols are facilities."
        ),
        "overview_caption_blurred": (
            "Each dot is the centre of a {m} square holding scored buildings, coloured by the most "
            "suitable building in it (dark purple low, yellow high; grey: none meets every hard "
            "limit). The numbers are the best {n} from the table below."
        ),
        "legend_suitability": "Suitability (0–100)",
        "legend_fails": "misses a hard limit",
        "legend_area": "area",
        "legend_site": "site",
        "legend_building": "building, coloured by suitability",
        "north": "N",
        "attribution": "© OpenStreetMap contributors (ODbL)",
        "h_sites": "A map per site",
        "sites_caption": (
            "Per site a window of {w} by {w}; the site is outlined in black, the buildings around "
            "it in the colours of the overview map."
        ),
        "h_top": "The best {n} sites",
        "top_intro": (
            "The {n} buildings at the top of the ranking. Rank 1 is best; buildings with the same "
            "suitability share a rank. No. is the place in this list and the number on the maps. "
            "Suitability is the weighted mean of the criterion scores (0–100)."
        ),
        "top_ties": (
            "{k} buildings share the top rank; this list shows {n} of them, in order of their id. "
            "The full list is in candidates.csv."
        ),
        "col_nr": "No.",
        "col_rank": "Rank",
        "col_address": "Address or name",
        "col_id": "Id (OSM)",
        "col_suitability": "Suitability",
        "col_passes": "Hard limits",
        "passes_yes": "all met",
        "passes_no": "missed: {which}",
        "no_address": "(no address in OSM)",
        "site_n": "Site {i}",
        "blurred": "Version for publication: locations are blurred to squares of {m}. Addresses, names, ids and maps per site are left out and distances rounded to 50 m.",
        "privacy": "Note: this list names the addresses of buildings, homes included. For publication make a version without them: geoschikt report RUN --blur 250.",
        "h_distances": "Distances per criterion",
        "distances_intro": (
            "Walking distance in metres from each building to the nearest facility per criterion. "
            "A ✗ means the criterion's hard limit is missed; 'beyond reach' means nothing was found "
            "within the distance searched; 'n.a.' means not assessed."
        ),
        "beyond": "beyond reach",
        "unknown": "unknown",
        "not_assessed_short": "n.a.",
        "places": "{v} pl.",
        "h_distributions": "Distribution per criterion",
        "distributions_intro": (
            "How the distances are spread over all {n} buildings. The solid line is the hard limit, "
            "the dotted lines the distances between which the score falls from 100 to 0. The table "
            "gives the median (half of the buildings are closer) and the range of the middle 80%."
        ),
        "hist_count": "buildings",
        "hist_metres": "metres",
        "hist_empty": "no measured distances\n(nothing in reach)",
        "col_median": "Median",
        "col_p10_p90": "Middle 80%",
        "col_within_limit": "Meets the limit",
        "col_beyond": "Nothing in reach",
        "suitability": "Suitability",
        "h_coverage": "Data coverage and what was not assessed",
        "coverage_intro": (
            "The result is as good as the OSM data. If a school or stop is missing from OSM, a "
            "building looks farther away than it is. Facilities found per criterion:"
        ),
        "col_features": "Facilities in OSM",
        "features_none": "0 (none found: check the data)",
        "off_network": (
            "{n} buildings lie farther than {d} from any walkable path; their distances are unknown "
            "and do not count as a bad score."
        ),
        "address_coverage": "{n} of the {total} buildings ({share}) have an address or name in the data.",
        "coverage_column": "Coverage per building (column coverage): median {median}, lowest {low}.",
        "not_in_model": (
            "Not assessed by geoschikt: ownership and availability, zoning, structural state and "
            "floor space, noise and safety (unless added as a raster), and the views of residents."
        ),
        "all_assessed": "Every criterion of the settings was assessed.",
        "h_robustness": "Robustness of the ranking",
        "robustness_intro": (
            "Weights are a political choice, so the ranking was computed many times with randomly "
            "varied weights. 'P(top)' is the share of those computations in which the building is "
            "among the best, 'P(first)' the share in which it is the best. The ranks are the 5th "
            "percentile, the median and the 95th percentile: in 90% of the computations the rank "
            "lay between them."
        ),
        "robustness_source": "Source: {path}.",
        "robustness_settings": "{samples} weightings: {how}. 'P(top)' here means: among the best {k}.",
        "robustness_none": (
            "No robustness analysis was found for this run (robustness.csv); the ranking holds for "
            "exactly the weights above."
        ),
        "col_p_top": "P(top)",
        "col_p_best": "P(first)",
        "col_rank_range": "Rank (5% – median – 95%)",
        "robustness_missing": "(not in robustness.csv)",
        "h_provenance": "Provenance",
        "provenance_intro": (
            "Everything needed to check this result. A SHA-256 is a fingerprint of a file: another "
            "number means another file."
        ),
        "prov_version": "geoschikt version",
        "prov_started": "Run started",
        "prov_command": "Command",
        "prov_osm": "OSM file",
        "prov_osm_date": "Date of the OSM data",
        "prov_input": "Input ({role})",
        "prov_config": "Settings",
        "prov_config_hash": "SHA-256 of the settings",
        "prov_crs": "Coordinate system for distances",
        "prov_distance": "Kind of distance",
        "prov_area": "Area",
        "prov_outputs": "Output ({name})",
        "prov_libraries": "Libraries",
        "prov_candidates": "Building types (OSM building=*)",
        "prov_floor_area": "Floor area of a building (footprint x levels)",
        "distance_network": "walking distance over the network",
        "distance_euclidean": "straight line",
        "data_attribution": (
            "Map data © OpenStreetMap contributors, available under the Open Database Licence "
            "(ODbL). Maps without background tiles, drawn with matplotlib."
        ),
        "unknown_value": "unknown",
        "h_regions": "Overview of the regions",
        "regions_caption": (
            "Regions coloured by the median suitability of their buildings (dark purple low, yellow "
            "high); grey: not scored."
        ),
        "regions_intro": (
            "Per region the number of buildings scored, how many meet every hard limit, and the "
            "highest and median suitability."
        ),
        "col_region": "Region",
        "col_status": "Status",
        "col_candidates": "Buildings",
        "col_passing": "Meet all limits",
        "col_best": "Highest",
        "col_median_suit": "Median",
        "col_reason": "Reason",
        "status_ok": "scored",
        "h_region": "Region {name} ({id})",
        "region_not_scored": "Not scored: {reason}.",
        "footer": "{title} · page {page}",
        "yes": "yes",
        "no": "no",
        "m": "{v} m",
    },
}

LANGS = tuple(TEXT)


def number(value: float | None, lang: str, digits: int = 0) -> str:
    """``value`` with thousands separators in the report's language (1.234,5 or 1,234.5)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    text = f"{value:,.{digits}f}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "nl" else text


def metres(value: float | None, lang: str) -> str:
    """A distance in whole metres (``1.250 m``), in km from 10 km on (``12,5 km``); the unit is
    joined by a no-break space."""
    if value is None or not math.isfinite(value):
        return "–"
    if value >= 10_000:
        return f"{number(value / 1000, lang, 1)}\u00a0km"
    return f"{number(value, lang)}\u00a0m"


def percent(share: float, lang: str) -> str:
    """A share 0..1 as a whole percentage (``87%``; one decimal below 1%, so never a false 0%)."""
    if not math.isfinite(share):
        return "–"
    digits = 1 if 0 < share * 100 < 1 else 0
    return f"{number(share * 100, lang, digits)}%"
