import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbon.errors import UnitError
from carbon.units import conversion_factor, has_dimension, parse_unit

ENERGY_UNITS = ["kWh", "MWh", "GWh", "thousand kWh", "GJ", "TJ", "MJ", "Wh"]
VOLUME_UNITS = ["L", "m**3", "m³", "mL", "thousand L"]
MASS_UNITS = ["t", "kg", "g", "thousand t"]


def test_thousand_kwh_is_one_mwh():
    assert conversion_factor("thousand kWh", "MWh") == pytest.approx(1.0, rel=1e-15)


def test_energy_conversions_by_hand():
    assert conversion_factor("MWh", "TJ") == pytest.approx(0.0036)  # 1 MWh = 3.6 GJ
    assert conversion_factor("GJ", "MWh") == pytest.approx(1 / 3.6)
    assert conversion_factor("L", "m**3") == pytest.approx(0.001)
    assert conversion_factor("kg", "t") == pytest.approx(0.001)


def test_per_gas_masses_are_separate_dimensions():
    assert conversion_factor("kgCO2/kWh", "tCO2/MWh") == pytest.approx(1.0)
    with pytest.raises(UnitError):
        conversion_factor("kgCH4", "tCO2")
    with pytest.raises(UnitError):
        conversion_factor("tCO2", "tCO2e")  # CO2e arises only through a GWP set


@pytest.mark.parametrize("text", ["ton", "tons", "Tons", "ton/year"])
def test_ambiguous_ton_refused_with_hint(text):
    with pytest.raises(UnitError, match=r"'t' for metric tonnes or 'short_ton'"):
        parse_unit(text)


@pytest.mark.parametrize("text", ["", "kWhh", "12", "m***3"])
def test_unparsable_units_refused(text):
    with pytest.raises(UnitError):
        parse_unit(text)


@given(st.sampled_from(ENERGY_UNITS), st.sampled_from(ENERGY_UNITS))
def test_energy_round_trip(a, b):
    assert conversion_factor(a, b) * conversion_factor(b, a) == pytest.approx(1.0, rel=1e-12)


@given(st.sampled_from(ENERGY_UNITS + MASS_UNITS))
def test_non_volume_never_passes_as_volume(unit):
    assert not has_dimension(unit, "[volume]")


@given(st.sampled_from(VOLUME_UNITS))
def test_volumes_are_volumes(unit):
    assert has_dimension(unit, "[volume]")
