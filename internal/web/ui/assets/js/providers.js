// providers.js: what the credential form asks for, per provider. The
// server validates everything again; this only decides which fields a
// person sees and which ones the form insists on.

/** TYPES are the model types, in the order the UI lists them. */
export const TYPES = ['language', 'embedding', 'speech_to_text', 'text_to_speech'];

/** TYPE_LABELS names each model type for people. */
export const TYPE_LABELS = {
  language: 'Language',
  embedding: 'Embedding',
  speech_to_text: 'Speech to text',
  text_to_speech: 'Text to speech',
};

// Where a provider's API lives when a credential sets no base URL; shown
// as a placeholder so people see what "empty" means.
const DEFAULT_BASE = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  google: 'https://generativelanguage.googleapis.com',
  groq: 'https://api.groq.com/openai/v1',
  mistral: 'https://api.mistral.ai/v1',
  deepseek: 'https://api.deepseek.com',
  xai: 'https://api.x.ai/v1',
  openrouter: 'https://openrouter.ai/api/v1',
  dashscope: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
  minimax: 'https://api.minimax.io/v1',
  novita: 'https://api.novita.ai/openai',
  ppq: 'https://api.ppq.ai/v1',
  cohere: 'https://api.cohere.com',
  voyage: 'https://api.voyageai.com/v1',
  elevenlabs: 'https://api.elevenlabs.io',
  deepgram: 'https://api.deepgram.com',
  ollama: 'http://localhost:11434',
  omlx: 'http://localhost:11435/v1',
};

// Providers that work without a key (local servers, or a service-account
// file for Vertex).
const KEY_OPTIONAL = new Set(['vertex', 'ollama', 'omlx', 'openai_compatible']);

/**
 * fieldsFor lists the form fields of a provider's credential, after name
 * and modalities. Each is {name, label, kind, required, placeholder,
 * hint, group, initial}; kind is "secret", "url", "text" or "number".
 */
export function fieldsFor(provider) {
  const key = { name: 'api_key', label: 'API key', kind: 'secret', required: !KEY_OPTIONAL.has(provider) };
  switch (provider) {
    case 'vertex':
      return [
        { name: 'project', label: 'Google Cloud project', kind: 'text', required: true, placeholder: 'my-project-id' },
        { name: 'location', label: 'Location', kind: 'text', required: true, placeholder: 'us-central1' },
        {
          name: 'credentials_path', label: 'Service-account file', kind: 'text', placeholder: '/secrets/vertex-sa.json',
          hint: 'A path on the server to a service-account JSON file. Leave empty to use the server\u2019s default Google credentials.',
        },
      ];
    case 'azure':
      return [
        key,
        { name: 'endpoint', label: 'Endpoint', kind: 'url', required: true, placeholder: 'https://my-resource.openai.azure.com' },
        { name: 'api_version', label: 'API version', kind: 'text', placeholder: '2024-10-21', hint: 'Empty uses 2024-10-21.' },
        { name: 'endpoint_llm', label: 'Language endpoint', kind: 'url', group: 'Per-modality endpoints' },
        { name: 'endpoint_embedding', label: 'Embedding endpoint', kind: 'url', group: 'Per-modality endpoints' },
        { name: 'endpoint_stt', label: 'Speech-to-text endpoint', kind: 'url', group: 'Per-modality endpoints' },
        { name: 'endpoint_tts', label: 'Text-to-speech endpoint', kind: 'url', group: 'Per-modality endpoints' },
      ];
    case 'ollama':
      return [
        { name: 'base_url', label: 'Server URL', kind: 'url', placeholder: DEFAULT_BASE.ollama, hint: `Empty uses ${DEFAULT_BASE.ollama}.` },
        { name: 'num_ctx', label: 'Context window (num_ctx)', kind: 'number', placeholder: '8192', hint: 'Optional. Tokens of context Ollama gives each request.' },
        { ...key, hint: 'Only if your Ollama sits behind a proxy that asks for one.' },
      ];
    case 'omlx':
      return [
        { name: 'base_url', label: 'Server URL', kind: 'url', initial: DEFAULT_BASE.omlx, placeholder: DEFAULT_BASE.omlx },
        key,
      ];
    case 'openai_compatible':
      return [
        { name: 'base_url', label: 'Base URL', kind: 'url', required: true, placeholder: 'http://localhost:1234/v1', hint: 'The address of the OpenAI-style API, usually ending in /v1.' },
        { ...key, hint: 'Only if the server asks for one.' },
      ];
    case 'anthropic_compatible':
      return [
        { name: 'base_url', label: 'Base URL', kind: 'url', required: true, placeholder: 'https://gateway.example.com/v1' },
        key,
      ];
    default:
      return [
        key,
        {
          name: 'base_url', label: 'Base URL', kind: 'url', placeholder: DEFAULT_BASE[provider] || '',
          hint: 'Only for a proxy or gateway. Empty uses the provider\u2019s own API.', group: 'Advanced',
        },
      ];
  }
}

/** keyOptional reports whether a provider works without an API key. */
export function keyOptional(provider) {
  return KEY_OPTIONAL.has(provider);
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
