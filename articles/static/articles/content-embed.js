// ContentEmbed: embeds a video or an image from the library in the article body.
// Stored as <figure data-embed="video|image" data-id="N" data-caption="..." data-label="...">;
// the server resolves the id to the item's public fields (articles/richtext.py).
import { Node } from "django-prose-editor/editor"

const KINDS = {
  video: { icon: "movie", title: "Embed a video", field: "lead_video" },
  image: { icon: "image", title: "Embed an image", field: "hero_image" },
}

async function search(kind, term) {
  const params = new URLSearchParams({
    app_label: "articles",
    model_name: "article",
    field_name: KINDS[kind].field,
    term,
  })
  const response = await fetch(`/admin/autocomplete/?${params}`, { credentials: "same-origin" })
  if (!response.ok) return []
  return (await response.json()).results
}

function pick(kind) {
  // A small dialog: type to search the library, click a result to embed it.
  return new Promise((resolve) => {
    const dialog = document.createElement("dialog")
    dialog.className = "content-embed-picker"
    dialog.innerHTML = `
      <form method="dialog">
        <p><strong></strong></p>
        <p><input type="search" name="term" placeholder="Search by title" autocomplete="off" style="width: 24em"></p>
        <ul class="content-embed-results" style="max-height: 18em; overflow: auto; padding-left: 1em"></ul>
        <p><label>Caption (optional) <input type="text" name="caption" style="width: 20em"></label></p>
        <p><button value="cancel">Cancel</button></p>
      </form>`
    dialog.querySelector("strong").textContent = KINDS[kind].title
    const input = dialog.querySelector("input[name=term]")
    const caption = dialog.querySelector("input[name=caption]")
    const list = dialog.querySelector("ul")
    let finished = false
    const finish = (value) => {
      if (finished) return
      finished = true
      dialog.close()
      dialog.remove()
      resolve(value)
    }
    const refresh = async () => {
      const results = await search(kind, input.value)
      list.replaceChildren(
        ...results.map((result) => {
          const item = document.createElement("li")
          const button = document.createElement("button")
          button.type = "button"
          button.className = "content-embed-result"
          button.dataset.id = result.id
          button.textContent = result.text
          button.addEventListener("click", () =>
            finish({ id: result.id, label: result.text, caption: caption.value }),
          )
          item.append(button)
          return item
        }),
      )
    }
    let timer
    input.addEventListener("input", () => {
      clearTimeout(timer)
      timer = setTimeout(refresh, 200)
    })
    dialog.addEventListener("close", () => finish(null))
    document.body.append(dialog)
    dialog.showModal()
    refresh()
  })
}

export const ContentEmbed = Node.create({
  name: "contentEmbed",
  group: "block",
  atom: true,
  draggable: true,

  addAttributes() {
    const attribute = (name) => ({
      default: "",
      parseHTML: (element) => element.getAttribute(`data-${name}`) || "",
      renderHTML: (attributes) => (attributes[name] ? { [`data-${name}`]: attributes[name] } : {}),
    })
    return {
      embed: attribute("embed"),
      id: attribute("id"),
      caption: attribute("caption"),
      label: attribute("label"),
    }
  },

  parseHTML() {
    return [{ tag: "figure[data-embed]" }]
  },

  renderHTML({ HTMLAttributes, node }) {
    const { embed, id, label } = node.attrs
    return ["figure", HTMLAttributes, `${embed === "video" ? "🎬 Video" : "🖼 Image"} #${id}${label ? `: ${label}` : ""}`]
  },

  addCommands() {
    return {
      insertContentEmbed:
        (attrs) =>
        ({ commands }) =>
          commands.insertContent({ type: this.name, attrs }),
    }
  },

  addMenuItems({ buttons, menu }) {
    for (const [kind, { icon, title }] of Object.entries(KINDS)) {
      menu.defineItem({
        name: `embed-${kind}`,
        groups: "nodes",
        command: async (editor) => {
          const chosen = await pick(kind)
          if (chosen) {
            editor.chain().focus().insertContentEmbed({ embed: kind, ...chosen }).run()
          }
        },
        button: buttons.material(icon, title),
      })
    }
  },
})
