"""The Da Vinci side of the service: PAS cases, CRD feedback and client JWT replay memory."""
