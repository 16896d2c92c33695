"""Around a booking: reminders before it (e-mail and a ``booking.reminder`` webhook a chatbot
can turn into an SMS) and its outcome after it (attended / no-show), fed back to the chatbot
vendor (``booking.outcome``) and, through ``booking_changed``, to the CRM meeting."""
