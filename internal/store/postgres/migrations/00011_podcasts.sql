-- +goose Up
-- Podcasts. A speaker profile is the cast of an episode: one to four
-- speakers, each with a voice of a text-to-speech model (the profile's, or
-- the speaker's own), as JSON.
CREATE TABLE speaker_profiles (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    voice_model TEXT REFERENCES models (id) ON DELETE SET NULL,
    speakers    TEXT NOT NULL,
    created     BIGINT NOT NULL,
    updated     BIGINT NOT NULL
);

-- An episode profile is how an episode is planned and written: the models
-- of the outline and the transcript, the cast, the language, the briefing.
-- A deleted speaker profile or model leaves the reference empty, and the
-- profile needs setup again.
CREATE TABLE episode_profiles (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    description      TEXT NOT NULL,
    speaker_config   TEXT REFERENCES speaker_profiles (id) ON DELETE SET NULL,
    outline_llm      TEXT REFERENCES models (id) ON DELETE SET NULL,
    transcript_llm   TEXT REFERENCES models (id) ON DELETE SET NULL,
    language         TEXT,
    default_briefing TEXT NOT NULL,
    num_segments     INTEGER NOT NULL,
    max_tokens       INTEGER,
    created          BIGINT NOT NULL,
    updated          BIGINT NOT NULL
);

-- An episode keeps snapshots of the profiles it was made with (JSON), and
-- what each stage of its generation made, so that a failed run resumes
-- where it stopped: the outline, the transcript segment by segment, and
-- the spoken lines (clips in the episode's folder under the data
-- directory). audio_file is relative to the podcasts folder.
CREATE TABLE episodes (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    episode_profile TEXT NOT NULL,
    speaker_profile TEXT NOT NULL,
    briefing        TEXT NOT NULL,
    content         TEXT NOT NULL,
    notebook_id     TEXT,
    command_id      TEXT,
    outline         TEXT,
    transcript      TEXT,
    audio_file      TEXT,
    created         BIGINT NOT NULL,
    updated         BIGINT NOT NULL
);
CREATE INDEX episodes_created ON episodes (created);

-- The profiles every deployment starts with; their models are chosen by
-- the user (a fresh install has none), so they need setup first.
INSERT INTO speaker_profiles (id, name, description, speakers, created, updated) VALUES
    ('speaker_profile:tech_experts', 'tech_experts', 'Two technical experts for tech discussions',
     '[{"name":"Dr. Alex Chen","voice_id":"nova","backstory":"Builds machine learning systems for a living and has shipped several of them to millions of users.","personality":"Precise and patient; likes a concrete example before a general rule."},{"name":"Jamie Rodriguez","voice_id":"alloy","backstory":"Runs platform engineering at a mid-sized software company and reads every postmortem.","personality":"Curious and practical; asks the question the listener is thinking."}]',
     (extract(epoch FROM now()) * 1000000)::BIGINT, (extract(epoch FROM now()) * 1000000)::BIGINT),
    ('speaker_profile:solo_expert', 'solo_expert', 'Single expert for educational content',
     '[{"name":"Professor Sarah Kim","voice_id":"nova","backstory":"Teaches an introductory science course that students recommend to their friends.","personality":"Warm and clear; builds each idea from the one before it."}]',
     (extract(epoch FROM now()) * 1000000)::BIGINT, (extract(epoch FROM now()) * 1000000)::BIGINT),
    ('speaker_profile:business_panel', 'business_panel', 'Business analysis panel with diverse perspectives',
     '[{"name":"Marcus Thompson","voice_id":"echo","backstory":"Advised companies on strategy for twenty years before starting his own.","personality":"Direct; always asks what a decision costs and who pays for it."},{"name":"Elena Vasquez","voice_id":"shimmer","backstory":"Invests in early-stage companies and sits on three boards.","personality":"Optimistic but numerate; looks for the market behind the story."},{"name":"Johny Bing","voice_id":"ash","backstory":"Worked his way from the shop floor to running operations across several countries.","personality":"Down to earth; tests every plan against how work really gets done."}]',
     (extract(epoch FROM now()) * 1000000)::BIGINT, (extract(epoch FROM now()) * 1000000)::BIGINT);

INSERT INTO episode_profiles (id, name, description, speaker_config, default_briefing, num_segments, created, updated) VALUES
    ('episode_profile:tech_discussion', 'tech_discussion', 'Technical discussion between 2 experts', 'speaker_profile:tech_experts',
     'Two experts talk through the material for an audience of working developers. Explain how things work, trade practical experience, disagree where the material allows it, and end each topic with what a listener can apply.',
     5, (extract(epoch FROM now()) * 1000000)::BIGINT, (extract(epoch FROM now()) * 1000000)::BIGINT),
    ('episode_profile:solo_expert', 'solo_expert', 'Single expert explaining complex topics', 'speaker_profile:solo_expert',
     'One teacher explains the material to a curious listener with no background in it. Start from what the listener already knows, use everyday comparisons, and recap the main ideas at the end.',
     4, (extract(epoch FROM now()) * 1000000)::BIGINT, (extract(epoch FROM now()) * 1000000)::BIGINT),
    ('episode_profile:business_analysis', 'business_analysis', 'Business-focused analysis and discussion', 'speaker_profile:business_panel',
     'A panel looks at the material from a business angle: the market it touches, the strategy it suggests, the risks and the opportunities. Each panelist brings their own view, and the episode ends with concrete takeaways for decision makers.',
     6, (extract(epoch FROM now()) * 1000000)::BIGINT, (extract(epoch FROM now()) * 1000000)::BIGINT);

-- +goose Down
DROP TABLE episodes;
DROP TABLE episode_profiles;
DROP TABLE speaker_profiles;
