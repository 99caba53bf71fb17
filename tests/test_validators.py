"""Credit-code and phone validators (core/validators.py) on real data.

The valid credit codes are the published 统一社会信用代码 of well-known companies (business licence data shown on
their websites and in the national enterprise credit publicity system); each also passes python-stdnum and an
independent implementation of the GB 32100-2015 check character below.
"""

import pytest
from django.core.exceptions import ValidationError

from core.validators import normalize_credit_code, normalize_phone, validate_cn_phone, validate_credit_code
from tests import factories as f

REAL_CODES = {
    "华为技术有限公司": "914403001922038216",
    "腾讯科技（深圳）有限公司": "9144030071526726XG",
    "深圳市腾讯计算机系统有限公司": "91440300708461136T",
    "阿里巴巴（中国）有限公司": "91330100799655058B",
    "小米科技有限责任公司": "91110108551385082Q",
    "北京百度网讯科技有限公司": "91110000802100433B",
    "比亚迪股份有限公司": "91440300192317458F",
    "中国石油化工股份有限公司": "91110000710926094P",
    "万科企业股份有限公司": "91440300192181490G",
}
REAL = [pytest.param(code, id=name) for name, code in REAL_CODES.items()]

# GB 32100-2015: 31 characters (no I, O, Z, S, V), weights 3^i mod 31, check = (31 - sum mod 31) mod 31.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def gb32100_check_char(first17):
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def _error_code(value):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(value)
    return exc.value.error_list[0].code, exc.value.messages[0]


# --- valid codes ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("code", REAL)
def test_published_credit_code_is_accepted(code):
    validate_credit_code(code)


@pytest.mark.parametrize("code", REAL)
def test_published_credit_code_agrees_with_an_independent_gb32100_check(code):
    assert gb32100_check_char(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("９１４４０３００１９２２０３８２１６", "914403001922038216"),  # full-width digits from a Chinese IME
        ("9144030071526726ＸＧ", "9144030071526726XG"),  # full-width letters
        ("9144030071526726xg", "9144030071526726XG"),  # lower case
        (" 9144 0300 1922 0382 16 ", "914403001922038216"),  # spaced in groups as on a licence
        ("9144-0300-1922-0382-16", "914403001922038216"),
    ],
)
def test_credit_code_typed_in_another_form_normalises_to_the_valid_code(typed, stored):
    validate_credit_code(typed)
    assert normalize_credit_code(typed) == stored


def test_firm_saved_with_a_full_width_code_stores_it_in_ascii(db):
    firm = f.FirmFactory.build(credit_code="９１４４０３００１９２２０３８２１６", district=f.DistrictFactory())
    firm.full_clean()
    firm.save()
    firm.refresh_from_db()
    assert firm.credit_code == "914403001922038216"


# --- invalid codes --------------------------------------------------------------------------------------------

def _wrong_check_char(code):
    return code[:17] + next(ch for ch in "0123456789ABCDEFG" if ch != code[17])


@pytest.mark.parametrize("code", REAL)
def test_published_code_with_a_wrong_check_character_is_refused(code):
    assert _error_code(_wrong_check_char(code)) == ("credit_code_checksum", "统一社会信用代码校验位错误，请核对。")


@pytest.mark.parametrize("code", REAL)
def test_published_code_with_two_digits_swapped_is_refused(code):
    # The commonest typing slip; the weighted check catches every adjacent transposition of different digits.
    i = next(i for i in range(8, 16) if code[i] != code[i + 1])
    swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
    assert _error_code(swapped)[0] == "credit_code_checksum"


def test_seventeen_characters_are_refused_with_the_count():
    assert _error_code("91440300192203821") == ("credit_code_length", "统一社会信用代码应为 18 位，当前为 17 位。")


def test_nineteen_characters_are_refused_with_the_count():
    assert _error_code("9144030019220382160")[1] == "统一社会信用代码应为 18 位，当前为 19 位。"


def test_old_fifteen_digit_business_licence_number_is_refused():
    assert _error_code("440301103097413")[0] == "credit_code_length"


def test_old_nine_character_organisation_code_is_refused():
    assert _error_code("19220382-1")[0] == "credit_code_length"


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_letters_the_standard_excludes_are_refused_in_the_body(letter):
    code = "914403001922038216"
    assert _error_code(code[:10] + letter + code[11:])[0] == "credit_code_format"


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_letters_the_standard_excludes_are_refused_as_check_character(letter):
    assert _error_code("91440300192203821" + letter)[0] == "credit_code_format"


def test_letter_o_typed_for_zero_is_refused():
    assert _error_code("914403OO1922038216")[0] == "credit_code_format"


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_credit_code_is_refused(value):
    assert _error_code(value)[0] == "credit_code_length"


def test_firm_with_a_bad_code_does_not_validate(db):
    firm = f.FirmFactory.build(credit_code="914403001922038217", district=f.DistrictFactory())
    with pytest.raises(ValidationError) as exc:
        firm.full_clean()
    assert exc.value.message_dict["credit_code"] == ["统一社会信用代码校验位错误，请核对。"]


# --- phones ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "value",
    [
        "13812345678",  # mobile
        "138-1234-5678",
        "+86 138 1234 5678",
        "19912345678",
        "0574-87654321",  # Ningbo landline with area code
        "057487654321",
        "(0574)87654321",
        "010-12345678",  # Beijing
        "021 12345678",  # Shanghai
        "400-800-8888",  # nationwide service numbers
        "8008208820",
        "12345",  # government service hotline
        "96345",
        "110",
    ],
)
def test_chinese_phone_numbers_are_accepted(value):
    validate_cn_phone(value)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("０５７４－８７６５４３２１", "0574-87654321"),
        ("１３８１２３４５６７８", "13812345678"),
        ("（0574）87654321", "057487654321"),
        (" 0574 87654321 ", "057487654321"),
    ],
)
def test_phone_typed_with_full_width_characters_normalises(typed, stored):
    validate_cn_phone(typed)
    assert normalize_phone(typed) == stored


def test_empty_phone_is_allowed_because_estates_fall_back_to_the_firm():
    validate_cn_phone("")


@pytest.mark.parametrize(
    "value",
    [
        "hotline",
        "电话",
        "13812345678转8001",  # extensions go in a separate note, not in the number
        "0574-87654321-8001",
        "0574-8765432112345",
        "12345678901234567890",
    ],
)
def test_text_and_overlong_numbers_are_refused_in_chinese(value):
    with pytest.raises(ValidationError) as exc:
        validate_cn_phone(value)
    assert exc.value.messages[0].startswith("电话号码")
    assert exc.value.error_list[0].code == "phone"


@pytest.mark.parametrize("value", ["1381234567", "138123456789", "0574-123"])
def test_mobile_of_wrong_length_and_truncated_landline_are_refused(value):
    with pytest.raises(ValidationError):
        validate_cn_phone(value)


@pytest.mark.parametrize("value", ["8765-abc", "1380013800O", "tel 13812345678"])
def test_phone_with_letters_is_refused(value):
    with pytest.raises(ValidationError):
        validate_cn_phone(value)
