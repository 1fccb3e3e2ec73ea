// providers.js: model types, default-model slots, and the reading of a
// provider's form description. The server validates everything again; the
// form only decides which fields a person sees and which it insists on.

/** TYPES are the model types, in the order the UI lists them. */
export const TYPES = ['language', 'embedding', 'speech_to_text', 'text_to_speech'];

/** TYPE_LABELS names each model type for people. */
export const TYPE_LABELS = {
  language: 'Language',
  embedding: 'Embedding',
  speech_to_text: 'Speech to text',
  text_to_speech: 'Text to speech',
};

// What each provider's credential form asks for comes from the server
// (GET /api/providers: fields, key), the one declaration of a provider.

/**
 * fieldsFor lists the form fields of a provider's credential, after name
 * and modalities: {name, label, kind, required, placeholder, hint, group,
 * initial}, kind being "secret", "url", "text" or "number".
 */
export function fieldsFor(provider) {
  return provider.fields || [];
}

/** keyOptional reports whether a provider works without an API key. */
export function keyOptional(provider) {
  return provider.key === 'optional';
}

/** SLOTS are the default-model roles, with the model type each accepts. */
export const SLOTS = [
  { field: 'default_chat_model', label: 'Chat', short: 'Chat', type: 'language', required: true },
  { field: 'default_embedding_model', label: 'Embedding', short: 'Embedding', type: 'embedding', required: true },
  { field: 'default_text_to_speech_model', label: 'Text to speech', short: 'TTS', type: 'text_to_speech' },
  { field: 'default_speech_to_text_model', label: 'Speech to text', short: 'STT', type: 'speech_to_text' },
  { field: 'default_transformation_model', label: 'Transformations', short: 'Transform', type: 'language', advanced: true },
  { field: 'default_tools_model', label: 'Tools', short: 'Tools', type: 'language', advanced: true },
  { field: 'large_context_model', label: 'Large context', short: 'Large ctx', type: 'language', advanced: true },
];
