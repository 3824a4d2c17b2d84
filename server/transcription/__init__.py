"""Live transcription: voice-activity segmentation per leg and speech-to-text engines."""
