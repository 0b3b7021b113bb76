"""Stateful tests: sequences of calls that follow openapi.yaml's links (create/import -> update,
delete, bulk update, bulk delete -> ...), with the duplicate-number invariant after every step."""

from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant
from schemathesis import Case

from contract_tests.namespace import assert_numbers_distinct, delete_created
from contract_tests.run import current

run = current()


class ContactsWorkflow(run.schema.as_state_machine()):
    def before_call(self, case: Case) -> None:
        # stateful steps do not get the configured parameters: pin the namespace here
        case.path_parameters = {**case.path_parameters, "streamId": run.target.stream_id}
        case.headers = {**(case.headers or {}), "accountId": run.target.account_id}

    def teardown(self) -> None:
        # every scenario starts from the same namespace, so Hypothesis can replay and shrink it
        delete_created(run.client, run.baseline)

    @invariant()
    def active_contacts_hold_distinct_numbers(self) -> None:
        assert_numbers_distinct(run.client, run.baseline)


TestContactsWorkflow = ContactsWorkflow.TestCase
TestContactsWorkflow.settings = settings(
    max_examples=run.settings.stateful_examples,
    stateful_step_count=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
