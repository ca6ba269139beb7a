"""Reading the live account for a command: settings from the console's environment, the state
file from disk, messages to the console. The account layer below knows none of these."""

from __future__ import annotations

from pathlib import Path
from ovctl.account.protocol import Account
from ovctl.console import Console
from ovctl.core.model import PropertyDef, Snapshot


def open_account(endpoint: str | None, flavor: str, console: Console) -> Account:
    """The account at ``endpoint``, with the key and timeouts of the console's environment;
    retries and endpoint warnings are told on stderr."""
    from ovctl.account import settings
    from ovctl.account.http import connect

    def tell(message: str) -> None:
        console.progress().stop()  # a message is a line of its own, not drawn over the progress
        console.warn(f"ovctl: {message}")

    return connect(endpoint, flavor, settings.from_environ(console.environ), on_retry=tell, on_warning=tell,
                   progress=console.progress())


def read_state(state_file: Path | None) -> Snapshot | None:
    """ovctl's state file, or None when there is none yet."""
    from ovctl.files.statefile import read_snapshot

    if state_file is None or not Path(state_file).exists():
        return None
    return read_snapshot(Path(state_file))


def fetch_live(endpoint: str | None, flavor: str, state_file: Path | None, console: Console, *,
               assumed_properties: dict[str, PropertyDef] | None = None,
               warn_without_state: bool = False) -> tuple[Snapshot, Snapshot | None]:
    """(live snapshot with ids carried from the state file, state-file snapshot or None).

    ``assumed_properties`` (the org's ``properties``) stand in for the account's property
    definitions when the export cannot give them and the state file has none yet.
    ``warn_without_state`` (``pull``): say on stderr when the account was read through the export
    API and there is no state file, so the external ids (and statuses, properties, parents) the
    export cannot give are missing from the result.
    """
    state = read_state(state_file)
    with console.progress() as progress, open_account(endpoint, flavor, console) as account:
        progress("reading the account")
        live = account.read(state, assumed_properties=assumed_properties)
        through_export = account.reads_through_export
    if warn_without_state and through_export and state is None:
        console.warn(f"ovctl: warning: no state file at {state_file}: external ids are unknown (the export API "
                     "does not give them); pass --state-file")
    return live, state
