"""How a listing's media files are read and made: probing videos, transcoding them, re-encoding
pictures. No database writes here: `listings.services.media` does those, calling these."""
