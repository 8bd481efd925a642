"""Charge point simulator for OCPP 1.6J and 2.0.1: a library for end-to-end tests and `voltline simulate`."""

from voltline.simulator.meter import EnergyMeter, MeterSample
from voltline.simulator.station import SimulatedStation, StationEvent, parse_version, run_fleet
from voltline.simulator.vehicle import ElectricVehicle

__all__ = [
    "ElectricVehicle",
    "EnergyMeter",
    "MeterSample",
    "SimulatedStation",
    "StationEvent",
    "parse_version",
    "run_fleet",
]
