-- +goose Up
-- Background processing: a source points at the job that processes it;
-- its processing_info holds a JSON object (status, times, progress, error).
ALTER TABLE sources ADD COLUMN command_id TEXT;

-- The recently viewed list reads the newest views of each kind.
CREATE INDEX notebooks_last_viewed ON notebooks (last_viewed_at) WHERE last_viewed_at IS NOT NULL;
CREATE INDEX sources_last_viewed ON sources (last_viewed_at) WHERE last_viewed_at IS NOT NULL;

-- Transformations turn a source's text into an insight with a language
-- model: the user's prompt after the shared default instructions.
CREATE TABLE transformations (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    title         TEXT NOT NULL,
    description   TEXT NOT NULL,
    prompt        TEXT NOT NULL,
    apply_default BOOLEAN NOT NULL DEFAULT FALSE,
    model_id      TEXT REFERENCES models (id) ON DELETE SET NULL,
    created       BIGINT NOT NULL,
    updated       BIGINT NOT NULL
);
CREATE INDEX transformations_name ON transformations (name);

CREATE TABLE default_prompts (
    id                          INTEGER PRIMARY KEY CHECK (id = 1),
    transformation_instructions TEXT NOT NULL
);

-- An insight is what a transformation made of a source.
CREATE TABLE insights (
    id                TEXT PRIMARY KEY,
    source_id         TEXT NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    transformation_id TEXT REFERENCES transformations (id) ON DELETE SET NULL,
    insight_type      TEXT NOT NULL,
    content           TEXT NOT NULL,
    created           BIGINT NOT NULL,
    updated           BIGINT NOT NULL
);
CREATE INDEX insights_source ON insights (source_id, created);

-- Embedded chunks of sources, notes and insights. seq grows with every
-- write, so an in-memory index can load what changed since it last
-- looked. Existing chunks are kept.
CREATE TABLE embeddings_v2 (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('source', 'note', 'insight')),
    chunk    INTEGER NOT NULL,
    content  TEXT NOT NULL,
    vector   BLOB NOT NULL,
    model_id TEXT NOT NULL,
    UNIQUE (owner_id, chunk)
);
INSERT INTO embeddings_v2 (owner_id, kind, chunk, content, vector, model_id)
    SELECT owner_id, kind, chunk, content, vector, model_id FROM embeddings ORDER BY owner_id, chunk;
DROP TABLE embeddings;
ALTER TABLE embeddings_v2 RENAME TO embeddings;
CREATE INDEX embeddings_model ON embeddings (model_id, seq);

-- The six transformations every deployment starts with.
INSERT INTO transformations (id, name, title, description, prompt, apply_default, created, updated) VALUES
    ('transformation:analyze_paper', 'Analyze Paper', 'Paper Analysis', 'Analyses a technical/scientific paper', 'Read the document as a reviewer of technical and scientific work. Write a structured analysis with these sections, each a few short bullet points:

PURPOSE: the question the work sets out to answer and why it matters.
CONTRIBUTION: what is new compared with earlier work.
KEY FINDINGS: the main results, with the numbers that support them.
IMPLICATIONS: what follows for practice or further research.
LIMITATIONS: weaknesses of the method, the data or the argument.

Stay close to what the document says; mark anything you infer as such.', FALSE, (strftime('%s','now') * 1000000), (strftime('%s','now') * 1000000)),
    ('transformation:key_insights', 'Key Insights', 'Key Insights', 'Extracts important insights and actionable items', 'Find the most valuable ideas in the document: surprising facts, useful principles, decisions a reader could act on. Consider many candidates, then keep only the strongest.

Output a section titled INSIGHTS: a bullet list of 10 to 25 items, each one plain sentence of about 15 words. Do not repeat yourself and do not add commentary before or after the list.', FALSE, (strftime('%s','now') * 1000000), (strftime('%s','now') * 1000000)),
    ('transformation:dense_summary', 'Dense Summary', 'Dense Summary', 'Creates a rich, deep summary of the content', 'Compress the document into a dense set of statements that another language model (or an expert in a hurry) could use to reconstruct its substance. Write short, self-contained statements: claims, definitions, relationships between concepts, key numbers, and analogies that capture the ideas. Prefer precise terms over general ones. Leave out examples and repetition that add no information. Use a bullet list.', TRUE, (strftime('%s','now') * 1000000), (strftime('%s','now') * 1000000)),
    ('transformation:reflections', 'Reflections', 'Reflection Questions', 'Generates reflection questions from the document to help explore it further', 'Help the reader think more deeply about the document. Write a section titled REFLECTIONS with 3 to 5 bullet points. Each is a thoughtful question or prompt of 20 to 25 words that connects the document''s ideas to wider questions, assumptions worth challenging, or the reader''s own work.', FALSE, (strftime('%s','now') * 1000000), (strftime('%s','now') * 1000000)),
    ('transformation:table_of_contents', 'Table of Contents', 'Table of Contents', 'Describes the different topics of the document', 'List the topics the document covers, in the order in which they appear. For each topic give a short title followed by one sentence describing what the document says about it. Use a numbered list.', FALSE, (strftime('%s','now') * 1000000), (strftime('%s','now') * 1000000)),
    ('transformation:simple_summary', 'Simple Summary', 'Simple Summary', 'Generates a small summary of the content', 'Summarise the document in one short paragraph of clear sentences that a non-specialist can follow. Cover the central idea and the most important supporting points, and nothing else.', FALSE, (strftime('%s','now') * 1000000), (strftime('%s','now') * 1000000));

INSERT INTO default_prompts (id, transformation_instructions) VALUES (1, 'You are a research assistant helping a person learn from their own documents. Produce exactly the content the instructions below ask for, in the language of the document unless told otherwise. Do not greet, do not ask questions back, do not add warnings about copyright or accuracy, and do not describe what you are about to do: start with the content itself.');

-- +goose Down
DROP INDEX sources_last_viewed;
DROP INDEX notebooks_last_viewed;
DROP TABLE embeddings;
CREATE TABLE embeddings (
    owner_id TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('source', 'note')),
    chunk    INTEGER NOT NULL,
    content  TEXT NOT NULL,
    vector   BLOB NOT NULL,
    model_id TEXT NOT NULL,
    PRIMARY KEY (owner_id, chunk)
);
DROP TABLE insights;
DROP TABLE default_prompts;
DROP TABLE transformations;
ALTER TABLE sources DROP COLUMN command_id;
