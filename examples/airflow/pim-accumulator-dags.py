"""
Airflow 2 (2.4 or later) DAGs that drive pim-accumulator through its command line:

- pim_accumulator_load, hourly: `npm run load -- --bu <bu> --once`, one task per business unit.
  The service polls the source itself; this is the scheduled pass (and the alarm) on top of it.
- pim_accumulator_export, nightly: `npm run export -- --bu <bu> --idempotency-key nightly-{{ ds }}
  --wait`, one task per business unit; the files and manifest.json land under EXPORT_URL.

The commands' exit codes decide between a retry and a failure that needs a person (see
README.md beside this file, and src/cli/ in the repository):

  load:    0 caught up; 3 blocked or a file failed; 1 an error, or another loader held the BU
           ("busy"); 2 the call is wrong (bad option, unknown business unit, bad configuration)
  export:  0 succeeded; 3 the export job failed; 4 --timeout passed; 2 the call is wrong or
           refused (unknown template, key reused with other templates, bad configuration);
           1 any other error

Retried: 1 (database or S3 unreachable, a crash, a busy business unit) and 4 (the same
idempotency key finds the same job and waits again). Not retried: 2 (the call will not fix
itself), 3 from the load (a blocked business unit waits for a person to replay) and 3 from the
export (the same key would return the same failed job).
"""
from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta

from airflow import DAG
from airflow.exceptions import AirflowException, AirflowFailException
from airflow.operators.bash import BashOperator

# The deployed checkout (npm ci && npm run build done at deployment), and the environment file the
# service itself runs with (systemd EnvironmentFile=, see docs/production.md): the commands need
# the same DATABASE_URL, SOURCE_URL, EXPORT_URL, BUSINESS_UNITS and AWS credentials.
PIM_HOME = "/opt/pim-accumulator"
ENV_FILE = "/etc/pim-accumulator/pim-accumulator.env"
BUSINESS_UNITS = ["bak", "cefl", "ecm", "gem"]

# `npm run <script> --` compiles the TypeScript before running (a few seconds, rewriting dist/).
# With the build done at deployment, the compiled command starts at once and leaves dist/ alone
# while the other business units' tasks run: CLI = "node dist/src/cli/{script}.cli.js"
CLI = "npm run --silent {script} --"

# The export command gives up waiting after this long (exit 4, retried); Airflow's own timeout is
# longer, so the command stops first and hands its job back to the queue cleanly.
EXPORT_TIMEOUT = timedelta(hours=3)

DOCS = "docs/loading-and-replay.md in the pim-accumulator repository"


def cli(script: str, args: str) -> str:
    """The bash command of one CLI call: the service's environment, then the command in PIM_HOME."""
    load_env = f"if [ -f {ENV_FILE} ]; then set -a; . {ENV_FILE}; set +a; fi"
    return f"{load_env}; cd {PIM_HOME} && {CLI.format(script=script)} {args}"


def last_json_line(output: str | None) -> dict:
    """The command's result line ({"businessUnit": …, "status": …}), or {} when the last line is not one."""
    try:
        value = json.loads(output or "")
    except ValueError:
        return {}
    return value if isinstance(value, dict) and "status" in value else {}


class PimCliOperator(BashOperator):
    """
    A BashOperator that reads the command's exit code: a code in `retry_codes` fails the task for a
    retry, a code in `final_codes` fails it at once (AirflowFailException: no retry) with the
    message given for it. Any other code fails it the usual way (retried).
    """

    def __init__(self, *, retry_codes: dict[int, str], final_codes: dict[int, str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.retry_codes = retry_codes
        self.final_codes = final_codes

    def execute(self, context):
        # BashOperator's own execute turns every non-zero code into the same retryable error.
        result = self.subprocess_hook.run_command(
            command=[shutil.which("bash") or "bash", "-c", self.bash_command],
            env=self.get_env(context),
            output_encoding=self.output_encoding,
            cwd=getattr(self, "cwd", None),
        )
        code = result.exit_code
        if code == 0:
            return result.output
        retry, message = self.judge(code, result.output)
        if retry:
            raise AirflowException(message)
        raise AirflowFailException(message)

    def judge(self, code: int, output: str | None) -> tuple[bool, str]:
        """(retry?, message) for a non-zero exit code."""
        if code in self.final_codes:
            return False, f"exit {code}: {self.final_codes[code]}"
        if code in self.retry_codes:
            return True, f"exit {code}: {self.retry_codes[code]}"
        return True, f"exit {code}: unexpected; see the task log"


class LoadOperator(PimCliOperator):
    """The load command: exit 3 means blocked or failed, a person's job; busy is exit 1 (retried)."""

    def __init__(self, *, business_unit: str, **kwargs) -> None:
        super().__init__(
            bash_command=cli("load", f"--bu {business_unit} --once"),
            retry_codes={1: "error (database or S3 unreachable?) or another loader held the business unit; see the task log; retried"},
            final_codes={2: "the call is wrong (bad option, unknown business unit or bad configuration: the message names it); "
                            "fix it, then clear this task"},
            **kwargs,
        )
        self.business_unit = business_unit

    def judge(self, code: int, output: str | None) -> tuple[bool, str]:
        if code != 3:
            return super().judge(code, output)
        result = last_json_line(output)
        event = result.get("errorEventId")
        return False, (
            f"{self.business_unit} is {result.get('status', 'blocked')} and needs a person: "
            f"{result.get('message', 'see the JSON line in the task log')} "
            f"(event {event if event else 'in loadStatus.blockedBy'}). Look at "
            f'loadStatus(businessUnit: "{self.business_unit}") {{ blockedBy {{ id sourceFile errorMessage metadata }} }} '
            f"and quarantinedLines; fix or replace the file, dry-run then run a replay from the event the "
            f"message names (npm run replay -- --bu {self.business_unit} --from-event <id> --reason ...); "
            f"see {DOCS}. Not retried: loading of this business unit waits for that replay."
        )


with DAG(
    dag_id="pim_accumulator_load",
    description="Hourly load pass of every business unit (npm run load -- --bu <bu> --once)",
    schedule="@hourly",
    start_date=datetime(2026, 4, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 3, "retry_delay": timedelta(minutes=5), "retry_exponential_backoff": True},
    tags=["pim-accumulator"],
) as load_dag:
    for bu in BUSINESS_UNITS:
        LoadOperator(task_id=f"load_{bu}", business_unit=bu, execution_timeout=timedelta(minutes=50))


with DAG(
    dag_id="pim_accumulator_export",
    description="Nightly full CSV export of every business unit (npm run export -- --wait)",
    schedule="0 2 * * *",
    start_date=datetime(2026, 4, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["pim-accumulator"],
) as export_dag:
    for bu in BUSINESS_UNITS:
        PimCliOperator(
            task_id=f"export_{bu}",
            # {{ ds }} is the run's logical date: a retry or a cleared task asks with the same key
            # and gets the same job back instead of starting a second export.
            bash_command=cli(
                "export",
                f"--bu {bu} --idempotency-key nightly-{{{{ ds }}}} --wait --timeout {int(EXPORT_TIMEOUT.total_seconds())}",
            ),
            retry_codes={
                1: "error (database or S3 unreachable?); see the task log; retried",
                4: "the job is still queued or running after --timeout; retried with the same key, which waits for the same job",
            },
            final_codes={
                2: "the call is wrong or refused (unknown template, key reused with other templates, bad configuration: "
                   "the message names it); fix it, then clear this task",
                3: (
                    f"the export job failed: its error is in the JSON in the task log, and in "
                    f'exportJob(businessUnit: "{bu}", id: …) {{ error warnings }}. The same idempotency key returns '
                    f"the same failed job: fix the cause, then export again with a new key "
                    f"(npm run export -- --bu {bu} --idempotency-key nightly-<date>-2 --wait). Not retried."
                ),
            },
            execution_timeout=EXPORT_TIMEOUT + timedelta(minutes=15),
        )
