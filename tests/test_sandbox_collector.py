"""``sandbox.app.CollectorPause``: the collector is off from the first sync in progress to the last
one done (the server reads bodies on its event loop and runs syncs on worker threads), and is left
as it was found."""

from __future__ import annotations

import gc
import threading

import pytest

from ovctl.sandbox.app import CollectorPause


@pytest.fixture()
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_nested_and_overlapping_pauses_end_with_the_last(collector_on: None) -> None:
    paused = CollectorPause()
    with paused:
        assert not gc.isenabled()
        inner_done = threading.Event()

        def other_sync() -> None:
            with paused:
                assert not gc.isenabled()
            inner_done.set()

        threading.Thread(target=other_sync).start()
        assert inner_done.wait(10)
        assert not gc.isenabled()  # the other one ended first: this one still runs
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off(collector_on: None) -> None:
    gc.disable()
    with CollectorPause():
        pass
    assert not gc.isenabled()


def test_an_error_inside_still_ends_the_pause(collector_on: None) -> None:
    paused = CollectorPause()
    with pytest.raises(ValueError):
        with paused:
            raise ValueError("a sync that failed")
    assert gc.isenabled()
