"""Tests for ise_archive.archive.paging: what follows a CDX answer's resume key."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ise_archive.archive.paging import PAGE_AGAIN, RESUME_LOOP, PageStep, next_page


def test_a_new_key_is_followed_and_joins_the_chain():
    assert next_page(("k1",), "k2") == PageStep(key="k2", sent=("k1", "k2"))


def test_no_key_is_the_last_page():
    step = next_page(("k1", "k2"), None)
    assert (step.key, step.failure, step.done) == (None, "", True)


def test_a_key_that_goes_backwards_is_followed_while_it_is_new():
    # "a" sorts before "k": the server went back; the key was never sent
    assert next_page(("k1",), "a0").key == "a0"


def test_a_repeated_key_asks_the_same_page_once_more_then_fails():
    again = next_page(("k1", "k2"), "k2")
    assert again == PageStep(key="k2", sent=("k1", "k2"), again=1)
    assert not again.done
    failed = next_page(again.sent, "k2", again=again.again)
    assert (failed.key, failed.failure, failed.done) == (None, RESUME_LOOP, False)


def test_a_key_sent_earlier_in_the_chain_is_a_repeat():
    assert next_page(("k1", "k2"), "k1") == PageStep(
        key="k2", sent=("k1", "k2"), again=1
    )


def test_a_page_that_comes_right_when_asked_again_goes_on():
    again = next_page(("k1",), "k1")
    assert next_page(again.sent, "k2", again=again.again) == PageStep(
        key="k2", sent=("k1", "k2")
    )


@given(st.lists(st.sampled_from(["a", "b", "c", "d", None]), max_size=40))
def test_a_chain_ends_and_never_ends_short_in_silence(answers):
    """Whatever keys a server answers with, the chain asks a bounded number of
    pages, and it stops only where the server gave no key or with a failure."""
    sent: tuple[str, ...] = ()
    again = 0
    asked = 0
    for received in answers:
        step = next_page(sent, received, again=again)
        if step.key is None:
            assert step.done == (received is None)
            assert bool(step.failure) == (received is not None)
            break
        asked += 1
        if received in sent:  # asked again: the same key as the request before
            assert step.key == sent[-1]
        else:
            assert step.key == received
        sent, again = step.sent, step.again
    assert asked <= len({a for a in answers if a}) * (PAGE_AGAIN + 1)
