from estates import selectors


def test_district_user_sees_only_their_district(world):
    codes = set(selectors.estate_list(user=world.district_user).values_list("code", flat=True))
    assert codes == {"HS001", "HS002"}


def test_street_user_sees_only_their_street(world):
    assert list(selectors.estate_list(user=world.street_user).values_list("code", flat=True)) == ["HS001"]


def test_firm_user_sees_only_their_estates(world):
    assert set(selectors.estate_list(user=world.other_firm_user).values_list("code", flat=True)) == {"JB001"}


def test_city_user_sees_everything(world):
    assert selectors.estate_list(user=world.city_user).count() == 3


def test_firm_visibility_follows_estates(world):
    assert set(selectors.firm_list(user=world.street_user)) == {world.firm}
    assert set(selectors.firm_list(user=world.other_district_user)) == {world.other_firm}


def test_out_of_scope_admin_change_page_is_404(world, client):
    client.force_login(world.other_district_user)
    response = client.get(f"/admin/estates/estate/{world.estate.pk}/change/")
    assert response.status_code == 404
