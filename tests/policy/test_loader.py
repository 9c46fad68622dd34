"""The policy loader: every broken policy is refused with the file, the line, the key and words.

Each broken policy is the valid minimal policy below with one change, so that the
expected message is the only thing wrong with it.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from trustdesk.policy.loader import (
    MAX_BYTES,
    PolicyError,
    Problem,
    content_hash,
    decode,
    load_cached,
    load_file,
    load_text,
    parse_yaml,
)

VALID = """\
format: 1
controller:
  legal_name: Example Hosting BV
  address: Kerkstraat 1, 1000 Brussel
  country: BE
  email: privacy@example.be
languages: [en, nl]
purposes:
  contract:
    name: {en: Providing the service, nl: De dienst leveren}
    data_use: essential.service
    legal_basis: contract
    data_subjects: [customer]
    data_categories: [user.contact.email, user.name]
    retention:
      period: P2Y
      from: end_of_contract
security:
  lockout:
    attempts: 5
    duration: PT15M
  two_factor:
    staff: required
    customers: optional
"""

NAME = "policy.yaml"

LEGAL_BASES = (
    "use consent (a), contract (b), legal_obligation (c), vital_interests (d), public_task (e) "
    "or legitimate_interests (f)"
)

DURATION_HELP = (
    "is not an ISO-8601 duration: write for example P7Y (seven years), P6M (six months), "
    "P30D (30 days) or PT30M (30 minutes)"
)


def changed(old: str, new: str, text: str = VALID) -> str:
    """The valid policy with one piece of text replaced; the piece must occur exactly once."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def problems(text: str) -> list[str]:
    """The problems of a policy text, as the lines a person reads."""
    with pytest.raises(PolicyError) as caught:
        load_text(text, NAME)
    assert str(caught.value) == "\n".join(str(problem) for problem in caught.value.problems)
    return [str(problem) for problem in caught.value.problems]


def file_problems(path: Path) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_file(path)
    return [str(problem) for problem in caught.value.problems]


# --- the valid policy -------------------------------------------------------------------------


def test_it_loads_the_valid_policy():
    loaded = load_text(VALID, NAME)
    purpose = loaded.policy.purposes["contract"]
    assert loaded.policy.controller.country == "BE"
    assert [basis.value for basis in purpose.legal_basis] == ["contract"]
    assert purpose.retention is not None and purpose.retention.period.iso() == "P2Y"
    assert loaded.sha256 == content_hash(VALID)
    assert loaded.source.line_of(("purposes", "contract", "legal_basis")) == 12


def test_it_loads_a_file_and_remembers_a_text(tmp_path):
    path = tmp_path / NAME
    path.write_text(VALID, encoding="utf-8")
    assert load_file(path).policy == load_text(VALID, NAME).policy
    assert load_cached(VALID, NAME) is load_cached(VALID, NAME)


def test_it_reads_a_file_with_a_byte_order_mark(tmp_path):
    path = tmp_path / NAME
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode("utf-8"))
    assert load_file(path).policy.controller.legal_name == "Example Hosting BV"


def test_it_keeps_norway_a_country_not_false():
    loaded = load_text(changed("country: BE", "country: NO"), NAME)
    assert loaded.policy.controller.country == "NO"


def test_it_keeps_a_number_with_a_leading_zero_as_written():
    text = changed("  email: privacy@", "  company_number: 0123456789\n  email: privacy@")
    assert load_text(text, NAME).policy.controller.company_number == "0123456789"


def test_it_accepts_a_custom_taxonomy_key_that_is_declared_and_used():
    text = changed(
        "security:",
        "taxonomy:\n"
        "  data_categories:\n"
        "    user.contact.customer_number:\n"
        "      parent: user.contact\n"
        "      name: {en: Customer number, nl: Klantnummer}\n"
        "security:",
    )
    text = changed("user.name]", "user.contact.customer_number]", text)
    policy = load_text(text, NAME).policy
    assert policy.purposes["contract"].data_categories == [
        "user.contact.email",
        "user.contact.customer_number",
    ]


# --- keys -------------------------------------------------------------------------------------


def test_it_names_an_unknown_key_at_the_top_level_with_a_suggestion():
    assert problems(changed("languages:", "langauges: [en]\nlanguages:")) == [
        "policy.yaml:7: langauges: 'langauges' is not a key this policy format knows. "
        "Did you mean 'languages'?"
    ]


def test_it_names_an_unknown_nested_key_on_its_own_line():
    assert problems(changed("  country: BE\n", "  country: BE\n  vat: BE0123456789\n")) == [
        "policy.yaml:6: controller.vat: controller: 'vat' is not a key this policy format knows. "
        "Check its spelling and indentation."
    ]


def test_it_suggests_the_key_of_the_mapping_where_an_unknown_key_stands():
    assert problems(changed("    attempts: 5", "    attemps: 5\n    attempts: 5")) == [
        "policy.yaml:20: security.lockout.attemps: security, lockout: 'attemps' is not a key this policy "
        "format knows. Did you mean 'attempts'?"
    ]


def test_it_points_a_missing_key_at_the_mapping_that_lacks_it():
    assert problems(changed("  email: privacy@example.be\n", "")) == [
        "policy.yaml:2: controller.email: controller: 'email' is missing"
    ]


def test_it_points_a_missing_key_in_a_list_item_at_the_item():
    text = changed("    retention:", "    sources:\n      - name: {en: Chamber of Commerce}\n    retention:")
    assert problems(text) == [
        "policy.yaml:16: purposes.contract.sources[0].kind: purpose 'contract', sources #1: 'kind' is missing"
    ]


def test_it_names_the_first_line_of_a_duplicate_key():
    assert problems(changed("  country: BE\n", "  country: BE\n  country: NL\n")) == [
        "policy.yaml:6: controller.country: the key 'country' appears twice; the first is on line 5"
    ]


# --- values -----------------------------------------------------------------------------------


def test_it_explains_a_misspelt_legal_basis():
    assert problems(changed("legal_basis: contract", "legal_basis: consnt")) == [
        "policy.yaml:12: purposes.contract.legal_basis: purpose 'contract': legal basis is 'consnt', "
        f"which is not a legal basis of GDPR Art. 6(1): {LEGAL_BASES}"
    ]


def test_it_names_the_bad_item_of_a_legal_basis_list():
    text = changed("legal_basis: contract", "legal_basis:\n      - contract\n      - legitimate_interest")
    assert problems(text) == [
        "policy.yaml:14: purposes.contract.legal_basis[1]: purpose 'contract': legal basis #2 is "
        f"'legitimate_interest', which is not a legal basis of GDPR Art. 6(1): {LEGAL_BASES}"
    ]


def test_it_points_a_wrong_value_at_the_value_line_below_its_key():
    text = changed("legal_basis: contract", "legal_basis:\n      consnt")
    assert problems(text) == [
        "policy.yaml:13: purposes.contract.legal_basis: purpose 'contract': legal basis is 'consnt', "
        f"which is not a legal basis of GDPR Art. 6(1): {LEGAL_BASES}"
    ]


def test_it_refuses_a_bad_email_address():
    assert problems(changed("privacy@example.be", "privacy.example.be")) == [
        "policy.yaml:6: controller.email: controller: email: 'privacy.example.be' is not an e-mail address"
    ]


def test_it_refuses_a_bad_country_code():
    assert problems(changed("country: BE", "country: XX")) == [
        "policy.yaml:5: controller.country: controller: country: 'XX' is not an ISO 3166 country code: "
        "use two capital letters, such as BE, NL or GB"
    ]


@pytest.mark.parametrize("duration", ["two years", "P", "P-1Y"])
def test_it_refuses_a_bad_duration(duration):
    assert problems(changed("P2Y", duration)) == [
        "policy.yaml:16: purposes.contract.retention.period: purpose 'contract', retention: period: "
        f"'{duration}' {DURATION_HELP}"
    ]


def test_it_refuses_a_duration_written_as_a_number():
    assert problems(changed("P2Y", "2")) == [
        "policy.yaml:16: purposes.contract.retention.period: purpose 'contract', retention: period: "
        "a duration is written as ISO-8601 text, for example P2Y or PT30M"
    ]


def test_it_lists_the_events_a_retention_period_can_run_from():
    assert problems(changed("from: end_of_contract", "from: contract_end")) == [
        "policy.yaml:17: purposes.contract.retention.from: purpose 'contract', retention: from is "
        "'contract_end', which is not one of 'collection', 'last_activity', 'end_of_contract', "
        "'end_of_service', 'end_of_fiscal_year_of_invoice', 'certificate_expiry', 'consent_withdrawal' "
        "or 'case_closed'"
    ]


def test_it_refuses_a_plain_text_where_a_text_per_language_is_needed():
    text = changed("{en: Providing the service, nl: De dienst leveren}", "Providing the service")
    assert problems(text) == [
        "policy.yaml:10: purposes.contract.name: purpose 'contract': name: needs a text per language, "
        "for example {en: ..., nl: ...}"
    ]


def test_it_refuses_lockout_after_zero_attempts():
    assert problems(changed("attempts: 5", "attempts: 0")) == [
        "policy.yaml:20: security.lockout.attempts: security, lockout: attempts is 0, but must be at least 1"
    ]


def test_it_asks_for_quotes_around_a_number_where_text_is_needed():
    assert problems(changed("  email: privacy@", "  phone: 3212345678\n  email: privacy@")) == [
        "policy.yaml:6: controller.phone: controller: phone must be text, not 3212345678; put it in quotes"
    ]


def test_it_refuses_an_empty_purposes_mapping():
    start, end = VALID.index("purposes:"), VALID.index("security:")
    assert problems(changed(VALID[start:end], "purposes: {}\n")) == [
        "policy.yaml:8: purposes: purposes is empty: at least one purpose is needed"
    ]


def test_it_refuses_a_language_it_cannot_write_the_statement_in():
    assert problems(changed("[en, nl]", "[en, fr]")) == [
        "policy.yaml:7: languages[1]: languages #2 is 'fr': the statement can be written in en (English) "
        "and nl (Dutch) only"
    ]


def test_it_names_a_language_listed_twice():
    assert problems(changed("[en, nl]", "[en, nl, en]")) == ["policy.yaml:7: languages: 'en' is listed twice"]


def test_it_refuses_another_format_version():
    assert problems(changed("format: 1", "format: 2")) == [
        "policy.yaml:1: format: format is 2; this version of Trustdesk reads format 1"
    ]


# --- the supervisory authority ----------------------------------------------------------------


def test_it_asks_to_write_out_an_authority_without_a_built_in():
    assert problems(changed("languages:", "supervisory_authority: FR\nlanguages:")) == [
        "policy.yaml:7: supervisory_authority: there is no built-in authority for 'FR' (there is for BE, GB "
        "and NL): write it out with name, address and country"
    ]


def test_it_reports_only_what_is_wrong_with_an_authority_written_out():
    text = changed("languages:", "supervisory_authority:\n  name: {en: CNIL}\n  country: FR\nlanguages:")
    assert problems(text) == [
        "policy.yaml:7: supervisory_authority.address: supervisory authority: 'address' is missing"
    ]


def test_it_refuses_an_authority_that_is_neither_a_code_nor_written_out():
    assert problems(changed("languages:", "supervisory_authority: [FR]\nlanguages:")) == [
        "policy.yaml:7: supervisory_authority: a list of 1 is neither a country code "
        "with a built-in authority (BE, GB, NL) nor an authority written out (name, address, country)"
    ]


# --- the taxonomy -----------------------------------------------------------------------------


def test_it_suggests_the_data_category_meant():
    assert problems(changed("user.contact.email", "user.contact.emial")) == [
        "policy.yaml:14: purposes.contract.data_categories[0]: purpose 'contract': data categories: "
        "'user.contact.emial' is not a known data category; declare it under taxonomy.data_categories if "
        "it is your own. Did you mean 'user.contact.email', 'user.contact.url' or 'user.contact'?"
    ]


def test_it_refuses_an_unknown_data_subject():
    assert problems(changed("[customer]", "[custmer]")) == [
        "policy.yaml:13: purposes.contract.data_subjects[0]: purpose 'contract': data subjects: 'custmer' is "
        "not a known data subject; declare it under taxonomy.data_subjects if it is your own. "
        "Did you mean 'customer'?"
    ]


def test_it_explains_how_a_taxonomy_key_is_written():
    assert problems(changed("data_use: essential.service", "data_use: Essential Service")) == [
        "policy.yaml:11: purposes.contract.data_use: purpose 'contract': data use: 'Essential Service' "
        "is not a taxonomy key: use lower-case words joined by dots, such as essential.service"
    ]


def test_it_refuses_an_unknown_data_use():
    assert problems(changed("data_use: essential.service", "data_use: essential.servce")) == [
        "policy.yaml:11: purposes.contract.data_use: purpose 'contract': 'essential.servce' is not a known "
        "data use; declare it under taxonomy.data_uses if it is your own. Did you mean 'essential.service', "
        "'essential.service.upgrades' or 'essential.service.security'?"
    ]


def test_it_refuses_a_custom_key_that_shadows_a_fideslang_key():
    text = changed(
        "security:",
        "taxonomy:\n  data_categories:\n    user.name:\n      parent: user\n"
        "      name: {en: Name}\nsecurity:",
    )
    assert problems(text) == [
        "policy.yaml:20: taxonomy.data_categories.user.name: 'user.name' is already a fideslang data "
        "category: use it without declaring it here"
    ]


def test_it_accepts_an_own_data_subject_without_a_parent():
    text = changed(
        "security:",
        "taxonomy:\n  data_subjects:\n    abuse_reporter:\n      name: {en: Abuse reporter, nl: Melder van misbruik}\n"
        "security:",
    )
    text = changed("data_subjects: [customer]", "data_subjects: [customer, abuse_reporter]", text)
    assert load_text(text, NAME).policy.purposes["contract"].data_subjects == ["customer", "abuse_reporter"]


def test_it_asks_a_parent_for_an_own_data_category():
    text = changed(
        "security:",
        "taxonomy:\n  data_categories:\n    user.contact.customer_number:\n"
        "      name: {en: Customer number, nl: Klantnummer}\nsecurity:",
    )
    assert problems(text) == [
        "policy.yaml:21: taxonomy.data_categories.user.contact.customer_number: 'user.contact.customer_number' "
        "needs a parent: the fideslang key it refines, such as user.contact"
    ]


def test_it_refuses_a_required_category_the_purpose_does_not_process():
    text = changed("    retention:", "    required_categories: [user.contact.phone_number]\n    retention:")
    assert problems(text) == [
        "policy.yaml:15: purposes.contract.required_categories[0]: purpose 'contract': the required category "
        "'user.contact.phone_number' is not one of the purpose's data categories; add it to data_categories"
    ]


def test_it_asks_for_the_name_of_a_third_party_source():
    text = changed("    retention:", "    sources:\n      - kind: third_party\n    retention:")
    assert problems(text) == [
        "policy.yaml:16: purposes.contract.sources[0]: purpose 'contract': sources #1: a source of kind "
        "'third_party' needs a name (Art. 14(2)(f))"
    ]


# --- YAML a policy never needs ----------------------------------------------------------------


def test_it_refuses_anchors_and_aliases():
    text = changed("name: {en: Providing", "name: &name {en: Providing")
    assert problems(text) == [
        "policy.yaml:10: purposes.contract.name: YAML anchors (&name) are not allowed in a policy file; "
        "write the value out where it is needed"
    ]
    assert problems("a: *name\n") == [
        "policy.yaml:1: a: YAML aliases (*name) are not allowed in a policy file; "
        "write the value out where it is needed"
    ]


def test_it_refuses_a_billion_laughs_at_once():
    lines = ['lol0: &lol0 ["lol"]']
    for level in range(1, 30):
        lines.append(f"lol{level}: &lol{level} [{', '.join([f'*lol{level - 1}'] * 10)}]")
    # Expanded, this would be 10**29 values: an answer at all shows it was refused before expansion.
    assert problems("\n".join(lines) + "\n") == [
        "policy.yaml:1: lol0: YAML anchors (&lol0) are not allowed in a policy file; "
        "write the value out where it is needed"
    ]


def test_it_refuses_merge_keys():
    assert problems(changed("  lockout:\n", "  lockout:\n    <<: {attempts: 3}\n")) == [
        "policy.yaml:20: security.lockout: YAML merge keys (<<) are not allowed in a policy file; "
        "write the keys out"
    ]


def test_it_refuses_tags():
    assert problems(changed("country: BE", "country: !!python/object:os.system BE")) == [
        "policy.yaml:5: controller.country: YAML tags such as '!!python/object:os.system' are not allowed "
        "in a policy file; write a plain value"
    ]


def test_it_refuses_a_second_document():
    assert problems(VALID + "---\nformat: 1\n") == [
        "policy.yaml:25: the file holds a second YAML document (after a '---' line); a policy file is one "
        "document"
    ]


def test_it_refuses_nesting_a_hundred_thousand_levels_deep():
    # Far beyond Python's recursion limit: the depth is checked before anything recurses into it.
    assert problems("[" * 100_000) == [
        "policy.yaml:1: values are nested more than 24 levels deep; a policy never needs that"
    ]


def test_it_names_the_line_of_deep_nesting_in_block_style():
    text = "a:\n" + "".join(" " * depth + "b:\n" for depth in range(1, 40))
    assert problems(text) == [
        "policy.yaml:25: values are nested more than 24 levels deep; a policy never needs that"
    ]


# --- YAML syntax ------------------------------------------------------------------------------


def test_it_explains_tab_indentation():
    assert problems(changed("  country: BE", "\tcountry: BE")) == [
        "policy.yaml:5: a tab character is used for indentation; indent with spaces only"
    ]


def test_it_points_an_unclosed_bracket_at_its_line():
    assert problems(changed("[en, nl]", "[en, nl")) == [
        "policy.yaml:7: the list opened with '[' on line 7 is not closed with ']'"
    ]


def test_it_points_an_unclosed_quote_at_its_line():
    assert problems(changed("legal_name: Example", 'legal_name: "Example')) == [
        "policy.yaml:3: the quoted text that starts on line 3 is not closed with its quote"
    ]


def test_it_explains_a_colon_inside_a_value():
    assert problems(changed("Example Hosting BV", "Example: Hosting BV")) == [
        "policy.yaml:3: a second ': ' on this line: put a value that contains ': ' in quotes, or check the "
        "indentation"
    ]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "country: BE",
            "country: & BE",
            "policy.yaml:5: '&' and '*' start YAML anchors and aliases, which a policy file does not use; "
            "put a value that starts with & or * in quotes",
        ),
        (
            "country: BE",
            "country: |BE",
            "policy.yaml:5: '|' and '>' start a block of text and end their line; "
            "put a value that starts with | or > in quotes",
        ),
        ("[en, nl]", "[en, , nl]", "policy.yaml:7: a value is missing before ','"),
        (
            "country: BE",
            "country: @BE",
            "policy.yaml:5: a value cannot start with '@': put the value in quotes",
        ),
        (
            "legal_name: Example Hosting BV",
            "legal_name: 'Example' Hosting BV",
            "policy.yaml:3: more text follows a value on this line: put the whole value in quotes, "
            "or check the indentation",
        ),
        (
            "  address: Kerkstraat",
            " address: Kerkstraat",
            "policy.yaml:4: the indentation is wrong here: keys of one mapping start in the same column",
        ),
        (
            "  contract:\n",
            "  " + "x" * 1100 + ":\n",
            "policy.yaml:9: a key on this line is longer than 1,024 characters, which YAML does not allow",
        ),
    ],
)
def test_it_explains_yaml_syntax_in_words(old, new, message):
    assert problems(changed(old, new)) == [message]


def test_it_refuses_an_empty_value_in_words():
    assert problems(changed("attempts: 5", "attempts:")) == [
        "policy.yaml:20: security.lockout.attempts: security, lockout: attempts has no value"
    ]


# --- what is not a policy at all --------------------------------------------------------------


def test_it_refuses_an_empty_file():
    assert problems("") == ["policy.yaml: the file is empty"]
    assert problems("# a policy follows\n\n") == [
        "policy.yaml:1: the file holds only comments or blank lines, no policy"
    ]


def test_it_refuses_a_file_that_is_a_list():
    assert problems("- format: 1\n- controller: {}\n") == [
        "policy.yaml:1: a policy file is a mapping of keys (format:, controller:, purposes:, ...), not a list"
    ]


def test_it_refuses_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / NAME
    path.write_bytes(changed("Kerkstraat", "Église").encode("latin-1"))
    assert file_problems(path) == [
        f"{path}:4: the file is not UTF-8 text (the byte at column 12 cannot be read); save it as UTF-8"
    ]


def test_it_refuses_a_utf16_file(tmp_path):
    path = tmp_path / NAME
    path.write_bytes(VALID.encode("utf-16"))
    assert file_problems(path) == [f"{path}:1: the file is UTF-16 text; save it as UTF-8"]


def test_it_refuses_a_nul_byte(tmp_path):
    text = changed("country: BE", "country: B\x00E")
    assert problems(text) == ["policy.yaml:5: the file contains a NUL character: it is not a text file"]
    path = tmp_path / NAME
    path.write_bytes(text.encode("utf-8"))
    assert file_problems(path) == [f"{path}:5: the file contains a NUL character: it is not a text file"]


def test_it_refuses_a_control_character():
    assert problems(changed("country: BE", "country: B\x07E")) == [
        "policy.yaml:5: the file contains the control character U+0007, which a policy file cannot hold"
    ]


def test_it_refuses_a_file_over_one_mebibyte(tmp_path):
    path = tmp_path / NAME
    path.write_bytes(b"# " * (MAX_BYTES // 2) + b"\n")
    assert file_problems(path) == [
        f"{path}: the file is 1,048,577 bytes; a policy file is at most 1,048,576 bytes"
    ]
    assert problems(VALID + "#" * MAX_BYTES) == [
        f"policy.yaml: the file is {len(VALID) + MAX_BYTES:,} bytes; a policy file is at most 1,048,576 bytes"
    ]
    with pytest.raises(PolicyError, match="a policy file is at most"):
        decode(b"#" * (MAX_BYTES + 1), NAME)


def test_it_refuses_a_directory(tmp_path):
    assert file_problems(tmp_path) == [f"{tmp_path}: this is a directory, not a policy file"]


def test_it_refuses_a_missing_file(tmp_path):
    path = tmp_path / "nowhere.yaml"
    assert file_problems(path) == [f"{path}: there is no such file"]


# --- several problems -------------------------------------------------------------------------


def test_it_reports_every_problem_of_a_file_in_line_order():
    text = changed("attempts: 5", "attempts: 0")
    text = changed("legal_basis: contract", "legal_basis: consnt", text)
    text = changed("country: BE", "country: XX", text)
    text = changed("  legal_name: Example Hosting BV\n", "", text)
    assert problems(text) == [
        "policy.yaml:2: controller.legal_name: controller: 'legal_name' is missing",
        "policy.yaml:4: controller.country: controller: country: 'XX' is not an ISO 3166 country code: "
        "use two capital letters, such as BE, NL or GB",
        "policy.yaml:11: purposes.contract.legal_basis: purpose 'contract': legal basis is 'consnt', "
        f"which is not a legal basis of GDPR Art. 6(1): {LEGAL_BASES}",
        "policy.yaml:19: security.lockout.attempts: security, lockout: attempts is 0, but must be at least 1",
    ]


def test_it_reports_every_taxonomy_problem():
    text = changed("[customer]", "[custmer]")
    text = changed("user.name]", "user.nam]", text)
    assert [line.split(": ")[0] for line in problems(text)] == ["policy.yaml:13", "policy.yaml:14"]


def test_it_quotes_only_a_piece_of_a_long_value():
    (message,) = problems(changed("privacy@example.be", "x" * 5000))
    assert message == (
        "policy.yaml:6: controller.email: controller: email is too long (5000 characters; at most 254)"
    )
    (message,) = problems(changed("country: BE", "country: " + "Z" * 5000))
    assert len(message) < 300


def test_it_parses_yaml_with_the_line_of_each_key():
    source = parse_yaml(VALID, NAME)
    assert source.line_of(("security", "lockout", "attempts")) == 20
    assert source.line_of(("purposes", "contract", "data_categories", 1)) == 14
    assert source.line_of(("purposes", "contract", "no_such_key")) == 9


# --- fuzzing ----------------------------------------------------------------------------------


def assert_refused_in_words(text: str) -> None:
    try:
        load_text(text, NAME)
    except PolicyError as exc:
        assert exc.problems
        last = max(1, len(text.splitlines()))
        for problem in exc.problems:
            assert isinstance(problem, Problem)
            assert problem.message.strip()
            assert "Traceback" not in problem.message
            if text:
                assert problem.line is not None, problem
                assert 1 <= problem.line <= last, (problem, last)


def test_it_refuses_truncated_policies_in_words():
    for end in range(0, len(VALID), 37):
        assert_refused_in_words(VALID[:end])


def test_it_refuses_damaged_policies_in_words():
    rng = random.Random(1234)  # noqa: S311 - a repeatable sequence, not a secret
    raw = VALID.encode("utf-8")
    for _ in range(400):
        damaged = bytearray(raw)
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            text = decode(bytes(damaged), NAME)
        except PolicyError as exc:
            assert all(problem.message and problem.line for problem in exc.problems)
            text = bytes(damaged).decode("utf-8", errors="replace")
        assert_refused_in_words(text)
