"""Staff passwords that attackers try first are refused (issue 15, item 14;
ASVS 2.1.7): the bundled list of the 10,000 most common passwords, checked
wherever a staff password is chosen (activation and reset links, the own
account, `flask users create --password`)."""
import re

import pytest

from portal import staff_accounts
from portal.staff_accounts import StaffAccountError, check_password_strength, is_common_password
from tests.staff import STAFF, sign_in


def test_the_bundled_list_holds_the_10000_most_common_passwords():
    common = staff_accounts._common_passwords()
    assert 9_990 <= len(common) <= 10_000  # a line that starts with "#" reads as a comment
    assert {"123456", "password", "qwerty", "password1234", "qwertyuiop"} <= common


@pytest.mark.parametrize("password", ["password1234", "Password1234", "PASSWORD 1234", "qwerty123456"])
def test_a_common_password_of_the_minimum_length_is_refused_whatever_its_case_or_spaces(password):
    assert is_common_password(password)
    with pytest.raises(StaffAccountError):
        check_password_strength(password)


def test_an_uncommon_password_passes():
    for password in ("correct horse 2026", "chosen by me", "сары-ала кой 7"):
        check_password_strength(password)


def test_the_activation_link_refuses_a_common_password_in_the_persons_language(portal):
    client = portal.test_client()
    sign_in(client, STAFF["district_a"])
    response = client.post("/admin/staff_user/provision/", data={
        "role": "director", "rows": "new.039@example.kg, Асанова Айгүл, GB-LEN-039\n"})
    from io import BytesIO

    from openpyxl import load_workbook

    link = list(load_workbook(BytesIO(response.data)).active.iter_rows(values_only=True))[1][4]
    path = re.sub(r"^https?://[^/]+", "", link)
    owner = portal.test_client()
    owner.get("/lang/ru")
    refused = owner.post(path, data={"password": "password1234", "confirm": "password1234"})
    assert refused.status_code == 200 and "самых распространённых" in refused.get_data(as_text=True)
    assert owner.post(path, data={"password": "my own secret 7", "confirm": "my own secret 7"}).status_code == 302


def test_users_create_with_a_common_password_is_refused(portal):
    result = portal.test_cli_runner().invoke(args=["users", "create", "--email", "x@example.kg", "--role",
                                                   "ministry", "--password", "qwerty123456"])
    assert is_common_password("qwerty123456")
    assert result.exit_code != 0 and "эң кеңири колдонулгандардын" in result.output  # Kyrgyz: a command's language
