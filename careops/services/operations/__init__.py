"""Operations: imports, outbox admin and delivery, the doctor's notices."""
