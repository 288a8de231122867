import pytest
from django.core.exceptions import ValidationError

from apps.accounts.validators import uscc_check_character, uscc_error, validate_uscc

# Codes published on the national enterprise credit information system by the companies themselves.
PUBLISHED_USCCS = [
    "914403001922038216",  # 华为技术有限公司
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "91110000802100433B",  # 北京百度网讯科技有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
    "91110000710926094P",  # 中国石油化工股份有限公司
    "91330100799655058B",  # 阿里巴巴（中国）有限公司
]


@pytest.mark.parametrize("code", PUBLISHED_USCCS)
def test_given_published_code_when_validated_then_it_passes(code):
    assert uscc_error(code) is None
    validate_uscc(code.lower())  # case is normalised


@pytest.mark.parametrize("code", PUBLISHED_USCCS)
def test_given_one_changed_character_when_validated_then_the_check_fails(code):
    changed = code[:10] + ("1" if code[10] != "1" else "2") + code[11:]
    assert "Check character" in str(uscc_error(changed)) or "校验" in str(uscc_error(changed))


@pytest.mark.parametrize(
    "code",
    ["", "91440300192203821", "9144030019220382161", "91440300I92203821X", "91440300192203821Z", "ＡＢＣ"],
)
def test_given_malformed_code_when_validated_then_a_clear_error(code):
    assert uscc_error(code)
    with pytest.raises(ValidationError):
        validate_uscc(code)


def test_check_character_maps_zero_remainder_to_zero():
    # A body whose weighted sum is a multiple of 31 takes '0', never the 32nd symbol.
    body = "00000000000000000"
    assert uscc_check_character(body) == "0"
