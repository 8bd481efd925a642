from __future__ import annotations

from tests.support.schema_check import validator
from voltline.areas.authorization.model import AuthorizationStatus, TokenVerdict
from voltline.areas.authorization.ocpp.v16 import id_tag_info


def test_a_group_that_fits_a_1_6_id_tag_is_the_parent_id_tag() -> None:
    info = id_tag_info(TokenVerdict(AuthorizationStatus.ACCEPTED, group_id="FLEET-7"))
    assert info == {"status": "Accepted", "parentIdTag": "FLEET-7"}


def test_a_group_longer_than_a_1_6_id_tag_is_left_out_and_the_answer_stays_valid() -> None:
    info = id_tag_info(TokenVerdict(AuthorizationStatus.ACCEPTED, group_id="G" * 36))
    assert info == {"status": "Accepted"}
    assert not list(validator("ocpp1.6", "Authorize", "response").iter_errors({"idTagInfo": info}))
