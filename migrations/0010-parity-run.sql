-- Parity runs: each comparison of an export file with a legacy file (src/parity/), kept so the
-- cut-over team can show, file by file, which export matched which legacy file and how. A run is
-- written when it starts (RUNNING) and once more when it ends; runs are never deleted, like jobs.
CREATE TABLE parity_run (
  id bigserial PRIMARY KEY,
  status text NOT NULL DEFAULT 'RUNNING' CHECK (status IN ('RUNNING', 'IDENTICAL', 'DIFFERENT', 'FAILED')),
  requested_by text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  -- What was compared: the legacy file, and the export file (a job's file, a file given by its URI,
  -- or a template rendered for the run), with the job and the load event the export reflects.
  legacy_uri text NOT NULL,
  legacy_sha256 text,
  export_source text NOT NULL CHECK (export_source IN ('FILE', 'JOB', 'TEMPLATE')),
  export_uri text,
  export_sha256 text,
  export_job_id bigint REFERENCES export_job (id),
  template_name text,
  snapshot_event_id bigint,
  -- Key columns, normalizations, ignored columns, dialects, as asked; the summary as found.
  options jsonb NOT NULL,
  summary jsonb,
  error text
);
